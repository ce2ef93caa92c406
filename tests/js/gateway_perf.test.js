// bench/gateway_perf.mjs (issue 13: Linux perf on workerd, behind gateway_profile.mjs --perf):
// the parsing and bucketing of perf's stacks on synthetic samples, then a tiny --perf run of the
// gateway in workerd checked for a sane report (or, on a machine without perf, for the error
// that says so). Nothing here depends on timing.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { bucketOf, parsePerfScript, perfBuckets, workerdApi } from '../../bench/gateway_perf.mjs';
import { parseArgs } from '../../bench/gateway_profile.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Real frame names from a perf script of the gateway (the mangled jsg callbacks shortened).
const FETCH_CB = '_ZN7workerd3jsg14MethodCallbackINS_6server29JsgWorkerdIsolate_TypeWrapperEXadsoKcL_ZZNS_3api24ServiceWorkerGlobalScope15registerMembersINS0_19ResourceTypeBuilderIS3_S6_Lb1EEES6_EEvRT_NS_18CompatibilityFlags6ReaderEE4NAME__11_EEELb1ES6_MS6_FNS0_7PromiseINS0_3RefINS5_8ResponseEEEEERNS0_4LockEN2kj5OneOfIJNSF_INS5_7RequestEEENSL_6StringEEEENS0_8OptionalINSM_IJNS5_22RequestInitializerDictESO_EEEEEEXadL_ZNS6_5fetchESK_SQ_SU_EENSL_1_7IndexesIJLm0ELm1EEEEE8callbackERKN2v820FunctionCallbackInfoINS11_5ValueEEE';
const BODY_CB = '_ZN7workerd3jsg7LiftKj_IN2v85LocalINS2_7PromiseEEEE5applyIKNS2_20FunctionCallbackInfoINS2_5ValueEEEZNS0_14MethodCallbackINS_6server29JsgWorkerdIsolate_TypeWrapperEXadsoKcL_ZZNS_3api4Body15registerMembersINS0_19ResourceTypeBuilderISE_SH_Lb0EEESH_EEvRT_NS_18CompatibilityFlags6ReaderEE4NAME_3EEELb0ESH_MSH_FNS0_7PromiseINS0_5JsRefINS0_13JsArrayBufferEEEEERNS0_4LockEEXadL_ZNSH_11arrayBufferESV_EEN2kj1_7IndexesIJEEEE8callbackERSB_EUlvE_EEvSM_OT0_';
const JS = "JS:*'dispatch web/src/driver.js:331:20";
const LOOP = ['workerd::IoContext::runImpl', 'kj::_::waitImpl', 'workerd_server::entry::serve'];

describe('perf stacks', () => {
  it('parses perf script output into stacks, leaf first', () => {
    const text = `\n\t    151c68be40e4 JS:wasm-function[647]-647-turbofan\n\t    5575bf553a78 ${JS}\n\t 3c80e33 workerd::IoContext::runImpl\n\n\t    4d074fc v8::CppHeap::GetAllocationHandle\n\t ffffffff [unknown]\n`;
    assert.deepEqual(parsePerfScript(text), [
      ['JS:wasm-function[647]-647-turbofan', JS, 'workerd::IoContext::runImpl'],
      ['v8::CppHeap::GetAllocationHandle', '[unknown]'],
    ]);
  });

  it("names the workerd API behind jsg's mangled callbacks and constructors", () => {
    assert.equal(workerdApi(FETCH_CB), 'ServiceWorkerGlobalScope.fetch');
    assert.equal(workerdApi(BODY_CB), 'Body.arrayBuffer');
    assert.equal(workerdApi('workerd::api::Response::constructor(workerd::jsg::Lock&)'), 'Response.new');
    assert.equal(workerdApi('workerd::jsg::ConstructorCallback<workerd::server::JsgWorkerdIsolate_TypeWrapper, workerd::api::AbortController, (void*)0>::callback'), 'AbortController.new');
    assert.equal(workerdApi('kj::_::waitImpl'), null);
  });

  it('puts each sample in the first bucket its stack matches', () => {
    assert.equal(bucketOf(['JS:wasm-function[35]-35-turbofan', JS, ...LOOP]), 'the core (wasm code)');
    assert.equal(bucketOf(['JS:sy_request_end-12-liftoff', JS, ...LOOP]), 'the core (wasm code)'); // a build with names
    assert.equal(bucketOf(['Builtins_WasmLiftoffFrameSetup', 'JS:wasm-function[3]-3-liftoff', JS]), 'the core (wasm code)');
    assert.equal(bucketOf(['tcmalloc::x', 'v8::internal::ScavengerCollector::CollectGarbage', 'v8::internal::Heap::CollectGarbage', BODY_CB, JS, ...LOOP]), 'garbage collection');
    assert.equal(bucketOf([JS, ...LOOP]), 'JS code (worker, driver, adapter)');
    assert.equal(bucketOf(['kj::HttpHeaders::add', 'workerd::api::Headers::x', FETCH_CB, 'Builtins_CallApiCallbackOptimized', JS, ...LOOP]), 'runtime, called from JS: ServiceWorkerGlobalScope.fetch');
    assert.equal(bucketOf(['tcmalloc::alloc', BODY_CB, JS]), 'runtime, called from JS: Body.arrayBuffer');
    assert.equal(bucketOf(['Builtins_TypedArrayPrototypeSlice', JS]), 'runtime, called from JS: V8 builtins and other');
    assert.equal(bucketOf(['v8::internal::JSObject::IsUnmodifiedApiObject', 'workerd::jsg::V8PlatformWrapper::JobTaskWrapper::Run', 'start_thread']), "V8's background threads (GC, compiler)");
    assert.equal(bucketOf(['v8::internal::MicrotaskQueue::RunMicrotasks', 'workerd::jsg::Lock::runMicrotasks', ...LOOP]), 'promise jobs outside JS');
    assert.equal(bucketOf(['workerd::api::Response::send', ...LOOP]), "workerd's request machinery");
    assert.equal(bucketOf(['do_syscall_64', 'entry_SYSCALL_64_after_hwframe', '__GI___writev', 'kj::_::waitImpl']), 'HTTP, event loop and system calls');
    assert.equal(bucketOf(['<http::header::name::HeaderName>::from_bytes', '[unknown]']), 'HTTP, event loop and system calls');
    assert.equal(bucketOf(['__memmove_avx512_unaligned_erms']), 'other');
  });

  it('counts samples per bucket and per leaf, largest first', () => {
    const core = ['JS:wasm-function[1]-1-turbofan', JS];
    const r = perfBuckets([core, core, [JS], core]);
    assert.equal(r.samples, 4);
    assert.deepEqual(r.buckets, [
      { name: 'the core (wasm code)', samples: 3 },
      { name: 'JS code (worker, driver, adapter)', samples: 1 },
    ]);
    assert.deepEqual(r.leaves[0], { name: 'JS:wasm-function[1]-1-turbofan', samples: 3 });
  });

  it('--perf needs workerd and no --memory', () => {
    assert.equal(parseArgs(['--target', 'workerd', '--perf']).perf, true);
    assert.throws(() => parseArgs(['--perf']), /--perf needs --target workerd/);
    assert.throws(() => parseArgs(['--target', 'workerd', '--perf', '--memory']), /--perf needs --target workerd, and no --memory/);
  });
});

describe('gateway_profile.mjs --perf', { timeout: 300000 }, () => {
  it('splits the CPU of workerd per request into buckets, the core among them', async () => {
    const hasPerf = spawnSync('perf', ['--version']).status === 0;
    const args = ['--target', 'workerd', '--perf', '--requests', '300', '--warmup', '20', '--concurrency', '4', '--json'];
    const result = await new Promise((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'bench/gateway_profile.mjs'), ...args], { cwd: ROOT, timeout: 240000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
    });
    if (!hasPerf) {
      assert.match(result.stderr, /perf is not installed \(Debian: apt-get install linux-perf\)/);
      return;
    }
    assert.equal(result.error, null, result.stderr);
    const r = JSON.parse(result.stdout);
    assert.deepEqual(r.statuses, { 200: 300 });
    assert.ok(r.samples > 0 && r.cpuUsPerRequest > 0, JSON.stringify(r));
    const total = r.buckets.reduce((sum, b) => sum + b.us, 0);
    assert.ok(Math.abs(total - r.cpuUsPerRequest) < 0.01 * r.cpuUsPerRequest, `the buckets add up to ${total}, not ${r.cpuUsPerRequest}`);
    const names = r.buckets.map((b) => b.name);
    assert.ok(names.includes('the core (wasm code)'), names.join(', '));
    assert.ok(names.some((n) => n.startsWith('runtime, called from JS: ')), names.join(', '));
  });
});
