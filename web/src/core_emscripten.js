// The core adapter over the Emscripten + Embind build (web/dist/switchyard_core.mjs).
// docs/host-interface.md describes the adapter; every event method returns a Uint8Array of
// action records that aliases wasm memory and is valid only until the next call.

const encoder = new TextEncoder();

/**
 * @param {object} module an instantiated Emscripten module (what the factory resolves to),
 *   exposing the Embind class `Engine` (bindings/embind/embind.cc).
 * @param {number|bigint} [seed] the core's only source of randomness.
 */
export function createEmscriptenCore(module, seed = 0) {
  // Embind takes the seed as a double; keep it a non-negative integer that a double holds.
  const seedNumber = Number(BigInt.asUintN(53, BigInt(seed)));
  let engine = new module.Engine(seedNumber);
  const live = () => {
    if (engine === null) throw new Error('switchyard: the core was freed');
    return engine;
  };
  return {
    configure(configText, envText) {
      return live().configure(configText, envText);
    },
    submit(rid, method, path, headersText, body, now) {
      return live().submit(rid, method, path, headersText, bytes(body), now);
    },
    cancel(rid, now) {
      return live().cancel(rid, now);
    },
    fetchResponse(fid, status, headersText, now) {
      return live().fetchResponse(fid, status, headersText, now);
    },
    fetchBody(fid, data, now) {
      return live().fetchBody(fid, bytes(data), now);
    },
    fetchEnd(fid, now) {
      return live().fetchEnd(fid, now);
    },
    fetchError(fid, message, now) {
      return live().fetchError(fid, String(message), now);
    },
    timer(now) {
      return live().timer(now);
    },
    free() {
      if (engine !== null) engine.delete();
      engine = null;
    },
  };
}

// Embind's std::string accepts a Uint8Array as raw bytes (and a JS string as UTF-8).
function bytes(data) {
  if (data == null) return '';
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return encoder.encode(String(data));
}
