// Which config an example runs on. Offline by default: <example>/config.json, on the built-in
// `echo` provider (no keys, no network). With a provider key in the environment, that
// provider's config instead: the first of OPENAI_API_KEY (config.openai.json),
// ANTHROPIC_API_KEY (config.anthropic.json), GEMINI_API_KEY (config.gemini.json).
// SWITCHYARD_EXAMPLE_PROVIDER=echo|openai|anthropic|gemini picks one explicitly.
// examples/lib/gateway.sh makes the same choice for the curl scripts.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROVIDERS = [
  { name: 'openai', key: 'OPENAI_API_KEY' },
  { name: 'anthropic', key: 'ANTHROPIC_API_KEY' },
  { name: 'gemini', key: 'GEMINI_API_KEY' },
];

function chooseProvider(env) {
  const wanted = env.SWITCHYARD_EXAMPLE_PROVIDER;
  if (wanted) {
    if (wanted === 'echo') return null;
    const provider = PROVIDERS.find((p) => p.name === wanted);
    if (!provider) throw new Error(`SWITCHYARD_EXAMPLE_PROVIDER must be echo, openai, anthropic or gemini, not '${wanted}'`);
    if (!env[provider.key]) throw new Error(`SWITCHYARD_EXAMPLE_PROVIDER=${wanted} needs ${provider.key} in the environment`);
    return provider;
  }
  return PROVIDERS.find((p) => env[p.key]) ?? null;
}

/**
 * The config of the example in `dir` (a file URL or path of the example's folder), as
 * { provider, file, config, env }: `config` the parsed document, `env` the values of its
 * "env:NAME" references (just the chosen provider's key), for createSwitchyard.
 */
export async function exampleConfig(dir, env = process.env) {
  const folder = dir instanceof URL || String(dir).startsWith('file:') ? fileURLToPath(dir) : String(dir);
  let provider;
  try {
    provider = chooseProvider(env);
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
  const file = path.join(folder, provider ? `config.${provider.name}.json` : 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8'));
  return {
    provider: provider?.name ?? 'echo',
    file,
    config,
    env: provider ? { [provider.key]: env[provider.key] } : {},
  };
}

/** The one line a script prints for an error the core answered (SwitchyardError), else its stack. */
export function describeError(error) {
  if (error?.name !== 'SwitchyardError') return error?.stack ?? String(error);
  const where = error.step ? ` in step '${error.step}'` : '';
  return `failed${where}: ${error.status} ${error.code}: ${error.message}`;
}

/** One line saying which config runs, for the start of an example's output. */
export function describeConfig({ provider, file }) {
  const where = path.relative(process.cwd(), file) || file;
  if (provider !== 'echo') return `provider: ${provider} (${where})`;
  return `provider: echo, offline (${where}); set OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY for a real one`;
}
