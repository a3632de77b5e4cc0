// Loaded into `portico start` children with NODE_OPTIONS=--import=<this file> by tests of the
// process-level last resort: on SIGUSR2 the process throws outside any request (or, with
// PORTICO_TEST_FAULT=rejection, leaves a promise rejection unhandled). Nothing else changes.
process.on('SIGUSR2', () => {
  process.nextTick(() => {
    if (process.env.PORTICO_TEST_FAULT === 'rejection')
      void Promise.reject(new Error('rejection injected by the test'));
    else throw new Error('exception injected by the test');
  });
});
