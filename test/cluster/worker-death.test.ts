import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childrenOf, clusterConfig, getFresh, sharedSecret, startNode, stopNode, within } from './harness.js';

/**
 * A connection must never be left hanging because the worker it was meant for died. With node:cluster's
 * round-robin scheduling the primary accepts each connection and hands it to a worker over IPC; a
 * worker that dies before it acknowledges the handoff leaves the connection open in the primary with
 * nobody reading it (the client waits until its own timeout; seen as a 300 s hang in the reload
 * suite). Portico's workers share the listening socket instead (SCHED_NONE): the kernel's queue holds
 * a connection until a live worker accepts it.
 */
test('--workers 2: a stopped and then SIGKILLed worker leaves no connection hanging; the other worker answers them all', async (t) => {
  const node = await startNode(
    clusterConfig('{ kind: embedded }'),
    sharedSecret(),
    ['--workers', '2'],
    /portico workers ready/,
  );
  const primary = node.proc.child.pid as number;
  t.after(() => stopNode(node));
  assert.ok(await within(30_000, async () => childrenOf(primary).length === 2), 'two workers');
  const [victim, survivor] = childrenOf(primary) as [number, number];
  // Stopped, the victim can neither accept a connection nor acknowledge one handed to it.
  process.kill(victim, 'SIGSTOP');
  try {
    const N = 12;
    let answered = 0;
    const results = Array.from({ length: N }, () =>
      getFresh(`${node.url}/free`, 20_000).then((s) => {
        answered++;
        return s;
      }),
    );
    // Round-robin hands one connection to the stopped worker and the rest to the survivor.
    await within(15_000, async () => answered >= N - 1);
    process.kill(victim, 'SIGKILL');
    const statuses = await Promise.all(results);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      `every request answered 200 (-1: no answer in 20 s): ${JSON.stringify(statuses)}`,
    );
  } finally {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  assert.ok(childrenOf(primary).includes(survivor), 'the other worker kept serving');
  assert.ok(
    await within(30_000, async () => childrenOf(primary).filter((p) => p !== victim).length === 2),
    'the primary replaced the killed worker',
  );
});
