// Types of the CommonJS entry (index.cjs): require('switchyard') in a CommonJS project, e.g. a
// TypeScript project with "module": "node16" / "nodenext" and no "type": "module". Every type of
// index.d.ts is here too; the values are createSwitchyard and SwitchyardError (the rest of the
// API is the ES module's: `await import('switchyard')`). Needs TypeScript 5.3 or later.

import type {
  CreateSwitchyardOptions,
  Switchyard,
  SwitchyardError as EsmSwitchyardError,
} from './index.js' with { 'resolution-mode': 'import' };

export type * from './index.js' with { 'resolution-mode': 'import' };

/** SPEC section 5: loads the core (asynchronously, through the ES module) and configures it. */
export declare function createSwitchyard(options: CreateSwitchyardOptions): Promise<Switchyard>;

/** An error answered by the core (SPEC section 3), or a misuse of the package; `instanceof` recognises every error the package throws. */
export declare const SwitchyardError: typeof EsmSwitchyardError;
export type SwitchyardError = EsmSwitchyardError;
