/** Deployments as AWS models them (docs/operations.md#deployments): what the store holds and the admin API shows. */

/** How a deployment was made: the config file at start or on a reload, or `portico apply` (the admin API). */
export type DeploymentSource = 'start' | 'file' | 'api';

/** An immutable, numbered snapshot of the config, without its text. */
export interface Deployment {
  readonly id: number;
  /** ISO time it was recorded. */
  readonly createdAt: string;
  readonly description: string;
  /** sha256 of the config text (and the plugin files it names), as LoadedConfig.hash. */
  readonly hash: string;
  readonly source: DeploymentSource;
}

/** A deployment as stored: with the config text it was made from. */
export interface DeploymentRecord extends Deployment {
  readonly text: string;
}

/** AWS's stage `canarySettings`: that share of a stage's requests served by another deployment. */
export interface CanarySettings {
  readonly deploymentId: number;
  /** 0-100, fractions allowed. */
  readonly percentTraffic: number;
}

/**
 * What every node serves, one document in the store: the deployment of every stage (AWS's
 * stage.deploymentId; a deployment is the whole config, so all stages share it) and the canaries,
 * by "api/stage".
 */
export interface StageState {
  readonly deploymentId: number;
  /** Hash of the config file when it last made a deployment: a restart with that file keeps the current deployment. */
  readonly fileHash: string;
  readonly canaries: Readonly<Record<string, CanarySettings>>;
  readonly updatedAt: string;
}
