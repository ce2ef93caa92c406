// A minimal WASI preview1 for running the Switchyard reactor inside workerd /
// Cloudflare Workers, which have no WASI of their own for plain modules.
//
// The core does no I/O: it needs a clock and randomness only for libc's own
// sake, stdout/stderr for diagnostics, and empty args/environ. Every other
// preview1 function the module imports answers ENOSYS (or EBADF for file
// descriptors), so linking never fails on an unused import.
//
//   const wasi = createWasiShim();
//   const instance = await WebAssembly.instantiate(module, wasi.imports(module));
//   wasi.initialize(instance);   // binds memory, runs _initialize if exported

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;
const ERRNO_SPIPE = 70;

const FILETYPE_CHARACTER_DEVICE = 2;

export class WasiExit extends Error {
  constructor(code) {
    super(`wasm module called proc_exit(${code})`);
    this.code = code;
  }
}

export function createWasiShim({ log = (line) => console.log(line), error = (line) => console.error(line) } = {}) {
  let memory = null;
  const pending = { 1: '', 2: '' };   // partial lines per std stream
  const decoder = new TextDecoder();
  const view = () => new DataView(memory.buffer);
  const bytes = (ptr, len) => new Uint8Array(memory.buffer, ptr, len);

  function writeLines(fd, text) {
    const lines = (pending[fd] + text).split('\n');
    pending[fd] = lines.pop();
    for (const line of lines) (fd === 1 ? log : error)(line);
  }

  const wasi = {
    args_sizes_get(argc_ptr, buf_size_ptr) {
      view().setUint32(argc_ptr, 0, true);
      view().setUint32(buf_size_ptr, 0, true);
      return ERRNO_SUCCESS;
    },
    args_get() { return ERRNO_SUCCESS; },
    environ_sizes_get(count_ptr, buf_size_ptr) {
      view().setUint32(count_ptr, 0, true);
      view().setUint32(buf_size_ptr, 0, true);
      return ERRNO_SUCCESS;
    },
    environ_get() { return ERRNO_SUCCESS; },

    clock_res_get(id, res_ptr) {
      view().setBigUint64(res_ptr, 1000000n, true);
      return ERRNO_SUCCESS;
    },
    // Realtime (0) and monotonic (1) both read Date.now(): on Workers that is
    // the only clock, and it only advances across I/O.
    clock_time_get(id, _precision, time_ptr) {
      if (id > 3) return ERRNO_INVAL;
      view().setBigUint64(time_ptr, BigInt(Date.now()) * 1000000n, true);
      return ERRNO_SUCCESS;
    },

    random_get(ptr, len) {
      // getRandomValues fills at most 65536 bytes per call.
      for (let off = 0; off < len; off += 65536) {
        crypto.getRandomValues(bytes(ptr + off, Math.min(65536, len - off)));
      }
      return ERRNO_SUCCESS;
    },

    fd_write(fd, iovs_ptr, iovs_len, nwritten_ptr) {
      if (fd !== 1 && fd !== 2) return ERRNO_BADF;
      const dv = view();
      let written = 0;
      let text = '';
      for (let i = 0; i < iovs_len; i++) {
        const buf = dv.getUint32(iovs_ptr + i * 8, true);
        const len = dv.getUint32(iovs_ptr + i * 8 + 4, true);
        text += decoder.decode(bytes(buf, len), { stream: true });
        written += len;
      }
      writeLines(fd, text);
      view().setUint32(nwritten_ptr, written, true);
      return ERRNO_SUCCESS;
    },
    fd_fdstat_get(fd, stat_ptr) {
      if (fd > 2) return ERRNO_BADF;
      const dv = view();
      dv.setUint8(stat_ptr, FILETYPE_CHARACTER_DEVICE);
      dv.setUint16(stat_ptr + 2, 0, true);           // fs_flags
      dv.setBigUint64(stat_ptr + 8, 0n, true);       // rights_base
      dv.setBigUint64(stat_ptr + 16, 0n, true);      // rights_inheriting
      return ERRNO_SUCCESS;
    },
    fd_close(fd) { return fd <= 2 ? ERRNO_SUCCESS : ERRNO_BADF; },
    fd_seek(fd) { return fd <= 2 ? ERRNO_SPIPE : ERRNO_BADF; },
    fd_prestat_get() { return ERRNO_BADF; },         // no preopened directories
    fd_prestat_dir_name() { return ERRNO_BADF; },

    proc_exit(code) { throw new WasiExit(code); },
    sched_yield() { return ERRNO_SUCCESS; },
  };

  return {
    // The import object for `module`: everything it asks of
    // wasi_snapshot_preview1, unknown functions answering ENOSYS.
    imports(module) {
      const table = {};
      for (const imp of WebAssembly.Module.imports(module)) {
        if (imp.module !== 'wasi_snapshot_preview1' || imp.kind !== 'function') continue;
        table[imp.name] = wasi[imp.name] ?? (imp.name.startsWith('fd_') ? () => ERRNO_BADF : () => ERRNO_NOSYS);
      }
      return { wasi_snapshot_preview1: table };
    },

    // Binds the instance's memory and runs the reactor's constructors.
    initialize(instance) {
      memory = instance.exports.memory;
      if (!(memory instanceof WebAssembly.Memory)) throw new Error('wasm module exports no memory');
      if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
      return instance;
    },

    flush() {
      for (const fd of [1, 2]) if (pending[fd]) { writeLines(fd, '\n'); }
    },
  };
}
