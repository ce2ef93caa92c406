// Errors as sentences for the demo pages: a SwitchyardError (package) or an error body of the
// gateway (SPEC section 3: { error: { message, type, code, param?, metadata? } }) becomes one
// readable sentence naming the status, what went wrong and the field at fault.

const STATUS = {
  400: 'The request was refused',
  401: 'The gateway needs a valid key',
  402: 'The key’s budget is spent',
  403: 'This key may not use that model',
  404: 'Not found',
  408: 'The provider took too long',
  413: 'The request is too large',
  429: 'Rate limited',
  499: 'The request was cancelled',
  500: 'Switchyard failed inside',
  501: 'Not implemented',
  502: 'The provider failed or answered nonsense',
  503: 'No healthy target could take the request',
  504: 'No answer in time',
};

// Where the error type says more than the status does.
const HEADS = {
  cache_miss_offline: 'Not in the cache',
  no_healthy_target: 'No healthy target',
  context_length_exceeded: 'The conversation is too long',
  content_filtered: 'Filtered',
};

const TYPES = {
  cache_miss_offline: 'the request asked for cached answers only and none is cached for it',
  no_healthy_target: 'every target is failing or its breaker is open',
  rate_limited: 'a limit was reached; try again shortly',
  auth: 'the provider refused the credentials',
  timeout: 'the deadline passed',
  context_length_exceeded: 'the conversation is too long for the model',
  content_filtered: 'the provider’s content filter stopped the answer',
};

const sentence = (text) => {
  const t = String(text ?? '').trim();
  if (!t) return '';
  return /[.!?]$/.test(t) ? t : `${t}.`;
};
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** One sentence for { status, message, code, param, metadata } (a SwitchyardError has them). */
export function describeFailure({ status, message, param, metadata, step } = {}) {
  const head = HEADS[metadata?.error_type] ?? STATUS[status] ?? (status ? `Error ${status}` : 'Something went wrong');
  const parts = [`${head}${status ? ` (HTTP ${status})` : ''}: ${sentence(message ?? 'no details were given')}`];
  const problems = Array.isArray(metadata?.errors) ? metadata.errors : [];
  if (problems.length) {
    parts.push(problems.map((p) => (p.path ? `The field “${p.path}”: ${sentence(p.message)}` : capital(sentence(p.message)))).join(" "));
  } else if (param) {
    parts.push(`The field at fault is “${param}”.`);
  }
  if (step) parts.push(`It happened in step “${step}”.`);
  const why = TYPES[metadata?.error_type];
  if (why && !/offline|cache-only/i.test(message ?? '')) parts.push(capital(sentence(why)));
  return parts.join(' ');
}

/** A sentence for an answer body's text at a status (a gateway reply that is not ok). */
export function describeBody(status, text) {
  let error = null;
  try {
    error = JSON.parse(text)?.error ?? null;
  } catch {}
  if (!error) return describeFailure({ status, message: text ? `the gateway answered: ${String(text).slice(0, 200)}` : 'the answer was empty' });
  return describeFailure({ status, ...error, message: error.message });
}

/** A sentence for anything thrown: SwitchyardError, a failed fetch (network), or another Error. */
export function describeError(error) {
  if (error?.name === 'SwitchyardError' || typeof error?.status === 'number') return describeFailure(error);
  if (error instanceof TypeError && /fetch|network|Failed/i.test(error.message)) {
    return `The network request failed: the server could not be reached (${error.message}). Check that it is running and that this page is online.`;
  }
  return `Something went wrong: ${sentence(error?.message ?? String(error))}`;
}
