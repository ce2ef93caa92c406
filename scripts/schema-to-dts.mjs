#!/usr/bin/env node
// Writes the config's TypeScript types into web/src/index.d.ts (between the "generated" marker
// lines) from web/config.schema.json, so that the schema is the one source of both.
//   node scripts/schema-to-dts.mjs          rewrite the section
//   node scripts/schema-to-dts.mjs --check  exit 1 when the section is not what the schema gives
// It knows the JSON Schema keywords the config schema uses: type, properties, required,
// additionalProperties, patternProperties, items, enum, const, anyOf, $ref, not {type: object},
// description and default. Rules between members (if/then/else, allOf, not const, ranges,
// patterns) are not types: the core checks them, and the schema for editors.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SCHEMA_PATH = fileURLToPath(new URL('../web/config.schema.json', import.meta.url));
const DTS_PATH = fileURLToPath(new URL('../web/src/index.d.ts', import.meta.url));
const BEGIN = '// ---- generated from web/config.schema.json by scripts/schema-to-dts.mjs: do not edit ----';
const END = '// ---- end of generated config types ----';

const ROOT_NAME = 'ConfigDocument';
const typeName = (definition) => 'Config' + definition[0].toUpperCase() + definition.slice(1);

function comment(schema, indent) {
  const lines = [];
  if (schema.description) lines.push(...schema.description.split('\n'));
  if (schema.default !== undefined) lines.push(`@default ${JSON.stringify(schema.default)}`);
  if (lines.length === 0) return '';
  const pad = ' '.repeat(indent);
  if (lines.length === 1) return `${pad}/** ${lines[0].replaceAll('*/', '*\\/')} */\n`;
  return `${pad}/**\n${lines.map((l) => `${pad} * ${l.replaceAll('*/', '*\\/')}`).join('\n')}\n${pad} */\n`;
}

const propertyKey = (name) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name));
const union = (parts) => [...new Set(parts)].join(' | ');

// An anyOf branch that only requires members (e.g. "a prompt or an image") constrains the object
// it sits on; it is no type of its own.
const constraintOnly = (s) => !['type', '$ref', 'const', 'enum', 'anyOf', 'not'].some((k) => k in s);

const NOT_OBJECT = 'string | number | boolean | null | unknown[]';

function typeOf(schema, indent) {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema.$ref) return typeName(schema.$ref.replace('#/definitions/', ''));
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return union(schema.enum.map((v) => JSON.stringify(v)));
  if (schema.anyOf && !schema.anyOf.every(constraintOnly)) return union(schema.anyOf.map((s) => wrap(typeOf(s, indent))));
  if (schema.not?.type === 'object' && Object.keys(schema).every((k) => k === 'not')) return NOT_OBJECT;
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `${wrap(typeOf(schema.items, indent))}[]`;
    case 'object':
      return objectType(schema, indent);
    case undefined:
      return 'unknown';
    default:
      throw new Error(`schema-to-dts: type ${JSON.stringify(schema.type)} is not supported`);
  }
}

const wrap = (t) => (/[|&]/.test(t) && !/^\{[\s\S]*\}$/.test(t) ? `(${t})` : t);

function objectType(schema, indent) {
  const pad = ' '.repeat(indent + 2);
  const required = new Set(schema.required ?? []);
  const members = [];
  const memberTypes = [];
  for (const [name, member] of Object.entries(schema.properties ?? {})) {
    if (member === false) continue;
    const t = typeOf(member, indent + 2);
    memberTypes.push(t);
    members.push(`${comment(member, indent + 2)}${pad}${propertyKey(name)}${required.has(name) ? '' : '?'}: ${t};`);
  }
  const patterns = Object.values(schema.patternProperties ?? {});
  const extra = schema.additionalProperties;
  const indexTypes = patterns.map((p) => typeOf(p, indent + 2));
  if (extra === undefined || extra === true) indexTypes.push('unknown');
  else if (extra !== false) indexTypes.push(typeOf(extra, indent + 2));
  if (indexTypes.length > 0) {
    // An index signature must admit every named member's type too.
    const all = indexTypes.includes('unknown') ? 'unknown' : union([...indexTypes, ...memberTypes.map(wrap)]);
    members.push(`${pad}[member: string]: ${all}${all === 'unknown' || members.length === 0 ? '' : ' | undefined'};`);
  }
  if (members.length === 0) return '{}';
  return `{\n${members.join('\n')}\n${' '.repeat(indent)}}`;
}

function declaration(name, schema) {
  const t = typeOf(schema, 0);
  const head = comment(schema, 0);
  if (t.startsWith('{') && (!schema.anyOf || schema.anyOf.every(constraintOnly))) return `${head}export interface ${name} ${t}\n`;
  return `${head}export type ${name} = ${t};\n`;
}

export function generate(schema) {
  const parts = [declaration(ROOT_NAME, { ...schema, definitions: undefined })];
  for (const [name, definition] of Object.entries(schema.definitions ?? {})) parts.push(declaration(typeName(name), definition));
  return parts.join('\n');
}

function section(text) {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`schema-to-dts: ${DTS_PATH} has no generated section`);
  return { before: text.slice(0, begin + BEGIN.length), inside: text.slice(begin + BEGIN.length, end), after: text.slice(end) };
}

function main() {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  const dts = readFileSync(DTS_PATH, 'utf8');
  const { before, inside, after } = section(dts);
  const wanted = `\n${generate(schema)}`;
  if (process.argv.includes('--check')) {
    if (inside === wanted) return;
    console.error('web/src/index.d.ts: the config types differ from web/config.schema.json: run node scripts/schema-to-dts.mjs');
    process.exit(1);
  }
  writeFileSync(DTS_PATH, before + wanted + after);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
