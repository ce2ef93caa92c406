// web/src/driver.js on its own, over a JS core of the adapter's shape (tests/js/fake_core.js):
// request bodies streamed into the core (and no longer read once it answered), the one timer at
// the core's next deadline (armed by the task that made the call, handed to one other request
// when its owner finishes), and CACHE_LIST / CACHE_CLEAR answered exactly once. The real builds
// run through the same driver in tests/js/core_suite.js and the gateway tests.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDriver } from '../../web/src/driver.js';
import { createFakeCore } from './fake_core.js';
import { slowBody } from './slow_body.js';

const encoder = new TextEncoder();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(options = {}, host = {}) {
  const fake = createFakeCore(options);
  const pending = [];
  const upstream = [];
  const fetch = (url, init) =>
    new Promise((resolve, reject) => {
      upstream.push({ url, init, resolve });
      init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
  const driver = createDriver(fake.core, { fetch, waitUntil: (p) => pending.push(p), ...host });
  return { ...fake, driver, upstream, settle: () => Promise.all(pending) };
}

const waitFor = async (predicate, ms = 3000) => {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
};

describe('driver: request bodies', () => {
  it('a whole body goes in one submit', async () => {
    const t = setup();
    const response = await t.driver.request('POST', '/echo', {}, 'hello');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello');
    assert.equal(t.calls.submit, 1);
    assert.equal(t.calls.begin, undefined);
  });

  it('a stream goes in piece by piece (begin, body…, end)', async () => {
    const t = setup();
    const body = slowBody({ size: 3, everyMs: 1, total: 30 });
    const response = await t.driver.request('POST', '/echo', {}, body.stream);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'x'.repeat(30));
    assert.equal(t.calls.begin, 1);
    assert.equal(t.calls.body, 10);
    assert.equal(t.calls.end, 1);
    await t.settle();
  });

  it('a body over the limit is answered 413 while it still arrives, and no longer read', async () => {
    const t = setup({ maxBodyBytes: 1024 });
    const body = slowBody({ size: 256, everyMs: 5 });
    const response = await t.driver.request('POST', '/echo', {}, body.stream);
    assert.equal(response.status, 413);
    assert.ok(await waitFor(() => body.cancelled), 'the body stream was cancelled');
    await t.settle();
    const pulled = body.pulled;
    await sleep(50);
    assert.equal(body.pulled, pulled, 'nothing more is pulled');
    assert.ok(pulled <= 1024 + 2 * 256, `pulled ${pulled} bytes`);
    assert.equal(t.calls.end, undefined, 'the body never ended');
  });

  it('a body that trickles past the deadline gets 408 from the timer, and is no longer read', async () => {
    const t = setup({ bodyTimeoutMs: 150 });
    const started = Date.now();
    const body = slowBody({ size: 1, everyMs: 20 });
    const response = await t.driver.request('POST', '/echo', {}, body.stream);
    assert.equal(response.status, 408);
    assert.ok(Date.now() - started >= 140, 'not before the deadline');
    assert.ok(await waitFor(() => body.cancelled));
    await t.settle();
    assert.equal(t.driver.counters().fired, 1);
  });

  it('a request answered from its head never reads its body', async () => {
    const t = setup();
    const body = slowBody({ size: 10, everyMs: 1 });
    const response = await t.driver.request('POST', '/reject', {}, body.stream);
    assert.equal(response.status, 401);
    assert.ok(await waitFor(() => body.cancelled));
    assert.equal(body.pulled, 0);
    assert.equal(t.calls.body, undefined);
  });

  it('aborting while the body arrives cancels the request and the body', async () => {
    const t = setup({ bodyTimeoutMs: 5000 });
    const body = slowBody({ size: 1, everyMs: 10 });
    const controller = new AbortController();
    const response = t.driver.request('POST', '/echo', {}, body.stream, { signal: controller.signal });
    await sleep(40);
    controller.abort();
    await assert.rejects(response, (e) => e.name === 'AbortError');
    assert.ok(await waitFor(() => body.cancelled));
    assert.equal(t.calls.cancel, 1);
    await t.settle();
    assert.equal(t.pending(), 0);
  });

  it('a body stream that fails cancels the request in the core', async () => {
    const t = setup();
    let sent = false;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent) return controller.error(new TypeError('the caller went away'));
        sent = true;
        controller.enqueue(encoder.encode('{"a":'));
      },
    });
    await assert.rejects(t.driver.request('POST', '/echo', {}, stream), /went away/);
    assert.equal(t.calls.cancel, 1);
    await t.settle();
  });
});

describe('driver: a body read whole (readWhole)', () => {
  // What the worker passes for a small body of known length: request.arrayBuffer().
  const whole = (stream, seen = { reads: 0 }) => () => {
    seen.reads++;
    return new Response(stream).arrayBuffer();
  };

  it('the head goes first, then one body and end; no reader loop', async () => {
    const t = setup();
    const body = slowBody({ size: 3, everyMs: 1, total: 30 });
    const seen = { reads: 0 };
    const response = await t.driver.request('POST', '/echo', {}, body.stream, { readWhole: whole(body.stream, seen) });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'x'.repeat(30));
    assert.equal(seen.reads, 1);
    assert.deepEqual([t.calls.begin, t.calls.body, t.calls.end, t.calls.submit], [1, 1, 1, undefined]);
    await t.settle();
    assert.equal(t.pending(), 0);
  });

  it("the request's task ends with its answer, not at its (long) body deadline", async () => {
    const t = setup({ bodyTimeoutMs: 60000 });
    const body = slowBody({ size: 3, everyMs: 1, total: 30 });
    const response = await t.driver.request('POST', '/echo', {}, body.stream, { readWhole: whole(body.stream) });
    assert.equal(await response.text(), 'x'.repeat(30));
    await sleep(0);
    assert.equal(t.driver.counters().live, 0, 'its pump ended');
    await t.settle();
  });

  it('an empty body: begin and end only', async () => {
    const t = setup();
    const response = await t.driver.request('POST', '/echo', {}, new ReadableStream({ start: (c) => c.close() }), {
      readWhole: async () => new ArrayBuffer(0),
    });
    assert.equal(await response.text(), '');
    assert.deepEqual([t.calls.begin, t.calls.body, t.calls.end], [1, undefined, 1]);
    await t.settle();
  });

  it("the core's body deadline still holds: 408 from the timer, and what arrives later is dropped", async () => {
    const t = setup({ bodyTimeoutMs: 100 });
    const started = Date.now();
    let deliver;
    const response = await t.driver.request('POST', '/echo', {}, new ReadableStream(), {
      readWhole: () => new Promise((resolve) => (deliver = resolve)),
    });
    assert.equal(response.status, 408);
    assert.ok(Date.now() - started >= 90, 'not before the deadline');
    assert.equal(await response.text(), 'body timeout');
    await t.settle();
    deliver(encoder.encode('late'));
    await sleep(10);
    assert.deepEqual([t.calls.body, t.calls.end], [undefined, undefined]);
    assert.equal(t.pending(), 0);
  });

  it('with bodyLingerMs, a 408 answer stays open until the body arrived (or that long)', async () => {
    const t = setup({ bodyTimeoutMs: 50 }, { bodyLingerMs: 2000 });
    let deliver;
    const response = await t.driver.request('POST', '/echo', {}, new ReadableStream(), {
      readWhole: () => new Promise((resolve) => (deliver = resolve)),
    });
    assert.equal(response.status, 408);
    const text = response.text();
    await sleep(60);
    const started = Date.now();
    deliver(encoder.encode('the rest'));
    assert.equal(await text, 'body timeout');
    assert.ok(Date.now() - started < 500);
    assert.equal(t.calls.body, undefined, 'nothing was fed to the core after its answer');
    await t.settle();
  });

  it('a request answered from its head never reads its body whole', async () => {
    const t = setup();
    const body = slowBody({ size: 10, everyMs: 1 });
    const seen = { reads: 0 };
    const response = await t.driver.request('POST', '/reject', {}, body.stream, { readWhole: whole(body.stream, seen) });
    assert.equal(response.status, 401);
    assert.ok(await waitFor(() => body.cancelled));
    assert.equal(seen.reads, 0);
    assert.equal(body.pulled, 0);
  });

  it('a body over the limit is still 413', async () => {
    const t = setup({ maxBodyBytes: 16 });
    const body = slowBody({ size: 10, everyMs: 1, total: 40 });
    const response = await t.driver.request('POST', '/echo', {}, body.stream, { readWhole: whole(body.stream) });
    assert.equal(response.status, 413);
    assert.equal(t.calls.end, undefined);
    await t.settle();
  });

  it('aborting while the body arrives cancels the request; the read is not waited for', async () => {
    const t = setup({ bodyTimeoutMs: 5000 });
    const controller = new AbortController();
    let deliver;
    const response = t.driver.request('POST', '/echo', {}, new ReadableStream(), {
      signal: controller.signal,
      readWhole: () => new Promise((resolve) => (deliver = resolve)),
    });
    await sleep(20);
    controller.abort();
    await assert.rejects(response, (e) => e.name === 'AbortError');
    await t.settle();
    assert.equal(t.calls.cancel, 1);
    deliver(encoder.encode('late'));
    await sleep(10);
    assert.deepEqual([t.calls.body, t.calls.end], [undefined, undefined]);
  });

  it('a read that fails cancels the request in the core', async () => {
    const t = setup();
    const readWhole = () => Promise.reject(new TypeError('the caller went away'));
    await assert.rejects(t.driver.request('POST', '/echo', {}, new ReadableStream(), { readWhole }), /went away/);
    assert.equal(t.calls.cancel, 1);
    await t.settle();
  });
});

describe('driver: lingering answers (bodyLingerMs)', () => {
  it('a caller still sending can finish: the rest of its body is read and dropped, then the answer ends', async () => {
    const t = setup({ maxBodyBytes: 1024 }, { bodyLingerMs: 2000 });
    const body = slowBody({ size: 256, everyMs: 2, total: 64 * 256 });
    const response = await t.driver.request('POST', '/echo', {}, body.stream);
    assert.equal(response.status, 413);
    const pulledAtAnswer = body.pulled;
    assert.equal(await response.text(), 'too large');
    assert.equal(body.pulled, 64 * 256, 'the whole body was read');
    assert.ok(pulledAtAnswer < body.pulled, 'the answer came before the body ended');
    assert.equal(body.cancelled, false);
    assert.equal(t.calls.body, 5, 'nothing more was fed to the core');
    assert.equal(t.calls.end, undefined);
    await t.settle();
  });

  it('for at most bodyLingerMs: a trickling body is then cancelled and the answer ends', async () => {
    const t = setup({ bodyTimeoutMs: 100 }, { bodyLingerMs: 150 });
    const body = slowBody({ size: 1, everyMs: 20 });
    const started = Date.now();
    const response = await t.driver.request('POST', '/echo', {}, body.stream);
    assert.equal(response.status, 408);
    const answeredAt = Date.now() - started;
    assert.equal(await response.text(), 'body timeout');
    const endedAt = Date.now() - started;
    assert.ok(answeredAt < 300, `answered after ${answeredAt} ms`);
    assert.ok(endedAt - answeredAt >= 120, `ended ${endedAt - answeredAt} ms after the answer`);
    assert.ok(await waitFor(() => body.cancelled));
    await t.settle();
  });

  it('an answer to the head alone lingers too, and a body that ended is not waited for', async () => {
    const t = setup({}, { bodyLingerMs: 2000 });
    const body = slowBody({ size: 100, everyMs: 1, total: 1000 });
    const rejected = await t.driver.request('POST', '/reject', {}, body.stream);
    assert.equal(rejected.status, 401);
    assert.equal(await rejected.text(), 'no key');
    assert.equal(body.pulled, 1000);
    const started = Date.now();
    const echoed = await t.driver.request('POST', '/echo', {}, slowBody({ size: 5, everyMs: 1, total: 20 }).stream);
    assert.equal(await echoed.text(), 'x'.repeat(20));
    assert.ok(Date.now() - started < 500);
    await t.settle();
  });
});

describe('driver: the one timer', () => {
  it('N requests waiting on deadlines share one timer; an earlier deadline re-arms it without waking them', async () => {
    const t = setup();
    const N = 12;
    const waiting = Array.from({ length: N }, () => t.driver.request('POST', '/wait?ms=400', {}, ''));
    const afterN = t.driver.counters();
    assert.equal(afterN.armed, 1, 'later deadlines do not re-arm');
    await sleep(20);
    const quiet = t.driver.counters();
    const early = await t.driver.request('POST', '/wait?ms=30', {}, '');
    assert.equal(early.status, 200);
    const c = t.driver.counters();
    // Armed for 30 ms, fired, re-armed for the N's deadline (by the task that called the core),
    // and the short request's end may have handed it to one other request.
    assert.ok(c.armed - quiet.armed <= 3, `armed ${c.armed - quiet.armed} times`);
    assert.ok(c.handovers - quiet.handovers <= 1, `handed over ${c.handovers - quiet.handovers} times`);
    assert.ok(c.wakeups - quiet.wakeups <= 3, `${c.wakeups - quiet.wakeups} wake-ups for one deadline change, with ${N} requests waiting`);
    const answers = await Promise.all(waiting);
    assert.deepEqual(answers.map((r) => r.status), Array(N).fill(200));
    await t.settle();
    assert.equal(t.pending(), 0);
  });

  it('the owner finishing hands the timer to exactly one other request, which fires it', async () => {
    const t = setup();
    const later = Array.from({ length: 8 }, () => t.driver.request('POST', '/wait?ms=250', {}, ''));
    await sleep(10);
    // This one arms the timer in its own task (its deadline is the earliest), then finishes
    // while the others' deadline is pending.
    const before = t.driver.counters();
    const first = await t.driver.request('POST', '/wait?ms=20', {}, '');
    assert.equal(first.status, 200);
    await sleep(10);
    const c = t.driver.counters();
    assert.equal(c.handovers - before.handovers, 1, 'handed to one request');
    const started = Date.now();
    const answers = await Promise.all(later);
    assert.deepEqual(answers.map((r) => r.status), Array(8).fill(200));
    assert.ok(Date.now() - started < 1000);
    assert.equal(t.driver.counters().deadline, Infinity, 'nothing pending');
  });

  it('requests answered in the order they came hand the timer over about once, not at every end', async () => {
    const t = setup();
    const before = t.driver.counters();
    // Each deadline later than the one before: the first request arms the timer, and the
    // requests are answered oldest first, as cache hits at a steady concurrency are.
    const N = 10;
    const requests = [];
    for (let i = 0; i < N; i++) {
      requests.push(t.driver.request('POST', `/wait?ms=${30 + 15 * i}`, {}, ''));
      await sleep(1);
    }
    const answers = await Promise.all(requests);
    assert.deepEqual(answers.map((r) => r.status), Array(N).fill(200));
    await t.settle();
    const c = t.driver.counters();
    // The first owner's end hands it to the newest request, which holds it to the last deadline
    // (oldest first would hand it over at each of the N - 1 ends).
    assert.ok(c.handovers - before.handovers <= 2, `handed over ${c.handovers - before.handovers} times`);
    assert.equal(c.deadline, Infinity, 'nothing pending');
    assert.equal(c.live, 0);
  });

  it('no timer is held once nothing is pending, and the next call arms a new one', async () => {
    const t = setup();
    assert.equal((await t.driver.request('POST', '/wait?ms=5', {}, '')).status, 200);
    await t.settle();
    assert.equal(t.driver.counters().live, 0);
    const armed = t.driver.counters().armed;
    assert.equal((await t.driver.request('POST', '/wait?ms=5', {}, '')).status, 200);
    assert.ok(t.driver.counters().armed > armed);
  });

  it('cancelling the request whose deadline is the earliest moves the timer to the next one', async () => {
    const t = setup();
    const controller = new AbortController();
    const doomed = t.driver.request('POST', '/wait?ms=2000', {}, '', { signal: controller.signal });
    const kept = t.driver.request('POST', '/wait?ms=60', {}, '');
    controller.abort();
    await assert.rejects(doomed, (e) => e.name === 'AbortError');
    assert.equal((await kept).status, 200);
    await t.settle();
    assert.equal(t.pending(), 0);
  });

  it('a deadline that moves later keeps the armed timer; the request waiting still gets its answer on time', async () => {
    const t = setup({ upstreamTimeoutMs: 100 });
    const started = Date.now();
    const later = t.driver.request('POST', '/wait?ms=300', {}, '');
    // Its upstream deadline (100 ms) comes earlier than the wait's: the timer is re-armed for it.
    const fetched = t.driver.request('POST', '/upstream', {}, 'q');
    await waitFor(() => t.upstream.length === 1);
    const armed = t.driver.counters().armed;
    // The upstream answers: the deadline moves later (the wait's). The armed timer is kept, and
    // when the request owning it ends, the timer goes to the waiting request, armed once there.
    t.upstream[0].resolve(new Response('up'));
    assert.equal(await (await fetched).text(), 'up');
    assert.ok(await waitFor(() => t.driver.counters().handovers === 1));
    const c = t.driver.counters();
    assert.equal(c.armed - armed, 1, 'armed once more, by the request it was handed to');
    const waited = await later;
    assert.equal(waited.status, 200);
    assert.ok(Date.now() - started >= 290, `answered after ${Date.now() - started} ms`);
    await t.settle();
    assert.equal(t.driver.counters().deadline, Infinity, 'nothing pending');
  });

  it('a kept timer that fires before the deadline only re-arms it', async () => {
    const t = setup({ bodyTimeoutMs: 80 });
    const started = Date.now();
    const later = t.driver.request('POST', '/wait?ms=250', {}, '');
    // Its body deadline (80 ms) is the earliest: the timer is armed in its task. Its body ends
    // at once, it is answered, and it stays alive while its SEND is in flight ...
    const sender = t.driver.request('POST', '/send', {}, slowBody({ size: 1, everyMs: 2, total: 3 }).stream);
    assert.equal(await (await sender).text(), 'sent');
    const quiet = t.driver.counters();
    // ... so the timer armed for 80 ms is kept, fires early, and the core call it makes arms it
    // for the wait's deadline, which answers on time.
    const waited = await later;
    assert.equal(await waited.text(), 'waited');
    assert.ok(Date.now() - started >= 240, `answered after ${Date.now() - started} ms`);
    const c = t.driver.counters();
    assert.equal(c.fired - quiet.fired, 2, 'fired early once, then at the deadline');
    assert.equal(c.armed - quiet.armed, 1, 're-armed once, by the early firing');
    assert.equal(c.handovers, quiet.handovers);
    t.upstream[0].resolve(new Response('ok'));
    await t.settle();
  });

  it('an upstream that never answers is aborted at the core deadline', async () => {
    const t = setup({ upstreamTimeoutMs: 50 });
    const response = await t.driver.request('POST', '/upstream', {}, 'q');
    assert.equal(response.status, 504);
    assert.equal(t.upstream.length, 1);
    assert.equal(t.upstream[0].init.signal.aborted, true);
    await t.settle();
  });
});

describe('driver: streamed answers', () => {
  // An upstream answer whose body the test writes piece by piece.
  function upstreamStream() {
    let controller;
    const body = new ReadableStream({ start: (c) => (controller = c) });
    return { response: new Response(body, { status: 200 }), push: (text) => controller.enqueue(encoder.encode(text)), end: () => controller.close() };
  }
  const decoder = new TextDecoder();
  // A streamed request whose upstream answered and sent 'first': its caller's answer and the upstream.
  async function openStream(t) {
    const answer = t.driver.request('POST', '/stream', {}, 'q');
    assert.ok(await waitFor(() => t.upstream.length === 1));
    const up = upstreamStream();
    t.upstream[0].resolve(up.response);
    up.push('first');
    return { up, response: await answer };
  }

  it("each upstream piece is in the caller's answer as the core emits it, with no wake-up of its pump", async () => {
    const t = setup();
    const { up, response } = await openStream(t);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = response.body.getReader();
    assert.equal(decoder.decode((await reader.read()).value), 'first', 'the first piece came with the answer');
    const before = t.driver.counters().wakeups;
    for (const piece of ['second', 'third']) {
      up.push(piece);
      assert.equal(decoder.decode((await reader.read()).value), piece);
    }
    assert.equal(t.driver.counters().wakeups, before, 'no pump woke for a piece');
    up.end();
    assert.equal((await reader.read()).done, true);
    await t.settle();
    assert.equal(t.driver.counters().live, 0);
  });

  it('a caller that cancels its stream cancels the request and aborts the upstream fetch', async () => {
    const t = setup();
    const { response } = await openStream(t);
    await response.body.cancel();
    assert.ok(await waitFor(() => t.upstream[0].init.signal.aborted), 'the upstream fetch was aborted');
    await t.settle();
    assert.equal(t.pending(), 0, 'the core forgot the request');
  });
});

describe('driver: keep-alive (workerd)', () => {
  it('a request waiting with no I/O of its own keeps an idle timer; one with a fetch in flight does not', async () => {
    const t = setup({ upstreamTimeoutMs: 120 }, { keepAliveMs: 25 });
    const waiting = await t.driver.request('POST', '/wait?ms=120', {}, '');
    assert.equal(waiting.status, 200);
    const idle = t.driver.counters().keepAlives;
    assert.ok(idle >= 3, `${idle} idle timers over 120 ms of waiting (one per 25 ms)`);
    const fetching = await t.driver.request('POST', '/upstream', {}, 'q');
    assert.equal(fetching.status, 504);
    assert.equal(t.driver.counters().keepAlives, idle, 'its own fetch keeps it alive');
    await t.settle();
  });

  it('is off by default', async () => {
    const t = setup();
    assert.equal((await t.driver.request('POST', '/wait?ms=30', {}, '')).status, 200);
    assert.equal(t.driver.counters().keepAlives, 0);
  });
});

describe('driver: CACHE_LIST and CACHE_CLEAR', () => {
  const tierOf = (lines, mode = 'ok') => ({
    cleared: 0,
    get: async () => null,
    put: async () => {},
    async *entries() {
      if (mode === 'fail') throw new Error('the tier is down');
      for (const line of lines) {
        if (mode === 'hang') await new Promise(() => {});
        yield line;
      }
    },
    async clear() {
      if (mode === 'fail') throw new Error('the tier is down');
      this.cleared++;
    },
  });

  it('lists every tier entry, one per line, bytes or text', async () => {
    const t = setup({}, { cache: tierOf(['{"a":1}', encoder.encode('{"b":2}')]) });
    const response = await t.driver.request('GET', '/cache', {}, null);
    assert.equal(await response.text(), '{"a":1}\n{"b":2}');
    await t.settle();
    assert.deepEqual([...t.cacheResults.values()], [1]);
  });

  for (const [what, host] of [
    ['fails', { cache: tierOf(['x'], 'fail'), log: () => {} }],
    ['stalls', { cache: tierOf(['x'], 'hang'), cacheTimeoutMs: 50, log: () => {} }],
    ['is missing', {}],
  ]) {
    it(`answers an empty list, exactly once, when the tier ${what}`, async () => {
      const t = setup({}, host);
      const response = await t.driver.request('GET', '/cache', {}, null);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '');
      await t.settle();
      assert.deepEqual([...t.cacheResults.values()], [1]);
    });
  }

  it('clears the tier, then answers; a failing clear is answered too', async () => {
    const tier = tierOf([]);
    const t = setup({}, { cache: tier });
    assert.equal((await t.driver.request('DELETE', '/cache', {}, null)).status, 200);
    assert.equal(tier.cleared, 1);
    const logged = [];
    const failing = setup({}, { cache: tierOf([], 'fail'), log: (l) => logged.push(l) });
    assert.equal((await failing.driver.request('DELETE', '/cache', {}, null)).status, 200);
    assert.match(logged.join('\n'), /clear failed/);
    await Promise.all([t.settle(), failing.settle()]);
    assert.deepEqual([...failing.cacheResults.values()], [1]);
  });
});

describe('driver: telemetry SEND', () => {
  it('is sent by its request, never awaited by the answer, bounded in time and logged when it fails', async () => {
    const logged = [];
    const t = setup({}, { sendTimeoutMs: 50, log: (line) => logged.push(line) });
    const response = await t.driver.request('POST', '/send', {}, '{"resourceSpans":[]}');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'sent'); // answered while the collector has not answered
    assert.ok(await waitFor(() => t.upstream.length === 1));
    const sent = t.upstream[0];
    assert.equal(sent.url, 'http://collector.test/v1/traces?x=1');
    assert.equal(sent.init.method, 'POST');
    assert.equal(sent.init.headers.get('content-type'), 'application/json');
    assert.equal(new TextDecoder().decode(sent.init.body), '{"resourceSpans":[]}');
    await t.driver.flush(); // waits for the send: here, its timeout
    assert.equal(logged.length, 1);
    assert.match(logged[0], /telemetry send to http:\/\/collector\.test\/v1\/traces failed: no answer within 50 ms/);
    assert.ok(!logged[0].includes('x=1'), 'the query is not logged');
    await t.settle();
  });

  it('a collector answering an error is logged once, and a good answer is not', async () => {
    const logged = [];
    const answers = [new Response('no', { status: 503 }), new Response('{}', { status: 200 })];
    const t = setup({}, { fetch: async () => answers.shift(), log: (line) => logged.push(line) });
    for (let i = 0; i < 2; i++) assert.equal((await t.driver.request('POST', '/send', {}, '{}')).status, 200);
    await t.driver.flush();
    await t.settle();
    assert.deepEqual(logged, ['switchyard: telemetry send to http://collector.test/v1/traces failed: HTTP 503']);
  });
});
