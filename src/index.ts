/** Portico's public API. */
export { Gateway, type StartOptions, startGateway } from './gateway.js';
export { configSchema, FEATURES, loadConfigFile, loadConfigText } from './features.js';
export type { LoadedConfig } from './config/loaded.js';
export { ConfigError, type ConfigIssue } from './config/errors.js';
export type { PorticoConfig } from './config/schema.js';
export { GATEWAY_ERRORS, GATEWAY_RESPONSE_TYPES } from './kernel/gateway-errors.js';
export type { FeatureManifest, PluginManifest, GatewayContext, PhasePolicy, GatewayReply } from './kernel/manifest.js';
export type { ReloadResult } from './admin/server.js';
