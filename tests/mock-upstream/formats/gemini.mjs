// Gemini API (https://ai.google.dev/api/generate-content):
//   POST /v1beta/models/{model}:generateContent
//   POST /v1beta/models/{model}:streamGenerateContent?alt=sse   (without alt=sse: one JSON array)
//   key: x-goog-api-key header or ?key=
// Requests are protobuf JSON: unknown names are refused ("Invalid JSON payload received.
// Unknown name …"), both lowerCamel and snake_case member names are accepted.
import { countTokens, embedVector, isBase64, isObject, pieces, pngOf, refuse } from './common.mjs';

const STATUS = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED', 499: 'CANCELLED', 500: 'INTERNAL', 501: 'NOT_IMPLEMENTED', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

function errorBody(status, message, extra = {}) {
  const error = { code: status, message, status: extra.status ?? STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') };
  if (extra.details) error.details = extra.details;
  return { error };
}

const invalid = (message, field) => refuse(400, message, field ? {
  details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: message }] }],
} : {});
const unknownName = (name, at) => invalid(`Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`, at ? `${at}.${name}` : name);

const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

/** Checks `obj`'s member names against lowerCamel `names`; returns a view keyed by lowerCamel. */
function members(obj, names, at) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    const c = camel(k);
    if (!names.includes(c)) unknownName(k, at);
    out[c] = v;
  }
  return out;
}

const REQUEST = ['contents', 'tools', 'toolConfig', 'safetySettings', 'systemInstruction', 'generationConfig', 'cachedContent', 'labels'];
const CONTENT = ['role', 'parts'];
const PART = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult', 'thought', 'thoughtSignature', 'videoMetadata'];
const DATA = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'];
const GENERATION = ['stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount',
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs',
  'enableEnhancedCivicAnswers', 'speechConfig', 'thinkingConfig', 'mediaResolution', 'imageConfig'];
const MODALITIES = ['TEXT', 'IMAGE', 'AUDIO'];
const IMAGE_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'];
// Output tokens of one image (gemini-2.5-flash-image).
const IMAGE_TOKENS = 1290;
const SCHEMA = ['type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum'];
const TOOL = ['functionDeclarations', 'googleSearch', 'googleSearchRetrieval', 'codeExecution', 'urlContext', 'computerUse', 'fileSearch', 'googleMaps'];
const DECLARATION = ['name', 'description', 'behavior', 'parameters', 'parametersJsonSchema', 'response', 'responseJsonSchema'];
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const MODES = ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'];

// The OpenAPI subset Gemini takes as `parameters`: JSON Schema words outside it
// ("additionalProperties", "$schema", …) are refused; `parametersJsonSchema` takes full JSON Schema.
function validateSchema(schema, at) {
  if (!isObject(schema)) invalid(`Invalid value at '${at}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Schema)`, at);
  const s = members(schema, SCHEMA, at);
  if (isObject(s.properties)) for (const [k, v] of Object.entries(s.properties)) validateSchema(v, `${at}.properties[${k}].value`);
  if (s.items !== undefined) validateSchema(s.items, `${at}.items`);
  if (Array.isArray(s.anyOf)) s.anyOf.forEach((v, i) => validateSchema(v, `${at}.any_of[${i}]`));
}

function validateContent(content, at, { system = false } = {}) {
  if (!isObject(content)) invalid(`Invalid value at '${at}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content), ${JSON.stringify(content)}`, at);
  const c = members(content, CONTENT, at);
  if (!system && c.role !== undefined && c.role !== 'user' && c.role !== 'model') invalid('Please use a valid role: user, model.');
  if (!Array.isArray(c.parts) || c.parts.length === 0) invalid(`* GenerateContentRequest.${at}.parts: contents.parts must not be empty.\n`, `${at}.parts`);
  return {
    role: c.role,
    parts: c.parts.map((part, j) => {
      const pat = `${at}.parts[${j}]`;
      if (!isObject(part)) invalid(`Invalid value at '${pat}' (type.googleapis.com/google.ai.generativelanguage.v1beta.Part)`, pat);
      const p = members(part, PART, pat);
      const data = DATA.filter((k) => p[k] !== undefined);
      if (data.length !== 1) invalid(`* GenerateContentRequest.${pat}.data: required oneof field 'data' must have one initialized field\n`, `${pat}.data`);
      if (p.text !== undefined && typeof p.text !== 'string') invalid(`Invalid value at '${pat}.text' (TYPE_STRING), ${JSON.stringify(p.text)}`, `${pat}.text`);
      if (p.inlineData !== undefined) {
        const d = members(p.inlineData, ['mimeType', 'data'], `${pat}.inline_data`);
        if (typeof d.mimeType !== 'string' || !d.mimeType) invalid(`* GenerateContentRequest.${pat}.inline_data.mime_type: mime_type must be set\n`, `${pat}.inline_data.mime_type`);
        if (!isBase64(d.data)) invalid(`Invalid value at '${pat}.inline_data.data' (TYPE_BYTES), Base64 decoding failed for "${String(d.data).slice(0, 40)}"`, `${pat}.inline_data.data`);
      }
      if (p.functionCall !== undefined) {
        const f = members(p.functionCall, ['id', 'name', 'args'], `${pat}.function_call`);
        if (typeof f.name !== 'string' || !f.name) invalid(`* GenerateContentRequest.${pat}.function_call.name: name is not specified\n`, `${pat}.function_call.name`);
        if (f.args !== undefined && !isObject(f.args)) invalid(`Invalid value at '${pat}.function_call.args' (type.googleapis.com/google.protobuf.Struct), ${JSON.stringify(f.args)}`, `${pat}.function_call.args`);
      }
      if (p.functionResponse !== undefined) {
        const f = members(p.functionResponse, ['id', 'name', 'response', 'willContinue', 'scheduling', 'parts'], `${pat}.function_response`);
        if (typeof f.name !== 'string' || !f.name) invalid(`* GenerateContentRequest.${pat}.function_response.name: name is not specified\n`, `${pat}.function_response.name`);
        if (!isObject(f.response)) invalid(`Invalid value at '${pat}.function_response.response' (type.googleapis.com/google.protobuf.Struct), ${JSON.stringify(f.response)}`, `${pat}.function_response.response`);
      }
      return p;
    }),
  };
}

// responseModalities (any case, as Google accepts) and imageConfig; image output only from image
// models, one candidate at a time (as Gemini answers).
function validateModalities(g, model) {
  if (g.responseModalities !== undefined) {
    if (!Array.isArray(g.responseModalities)) invalid("Invalid value at 'generation_config.response_modalities'", 'generation_config.response_modalities');
    g.responseModalities.forEach((m, i) => {
      if (!MODALITIES.includes(String(m).toUpperCase())) {
        invalid(`Invalid value at 'generation_config.response_modalities[${i}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), "${m}"`, `generation_config.response_modalities[${i}]`);
      }
    });
  }
  if (g.imageConfig !== undefined) {
    const c = members(g.imageConfig, ['aspectRatio', 'imageSize'], 'generation_config.image_config');
    if (c.aspectRatio !== undefined && !IMAGE_RATIOS.includes(c.aspectRatio)) invalid(`* GenerateContentRequest.generation_config.image_config.aspect_ratio: Unsupported aspect ratio: ${c.aspectRatio}\n`, 'generation_config.image_config.aspect_ratio');
    if (c.imageSize !== undefined && !['1K', '2K', '4K'].includes(c.imageSize)) invalid(`* GenerateContentRequest.generation_config.image_config.image_size: Unsupported image size: ${c.imageSize}\n`, 'generation_config.image_config.image_size');
  }
  if (!wantsImages(g)) return;
  if (model !== undefined && !model.includes('image')) invalid('Model does not support the requested response modalities: image');
  if (g.candidateCount !== undefined && g.candidateCount !== 1) invalid(`Multiple candidates is not enabled for models/${model}`);
}

const wantsImages = (g) => Array.isArray(g.responseModalities) && g.responseModalities.some((m) => String(m).toUpperCase() === 'IMAGE');

function validate(body, model) {
  const r = members(body, REQUEST);
  if (!Array.isArray(r.contents) || r.contents.length === 0) invalid('* GenerateContentRequest.contents: contents is not specified\n', 'contents');
  const contents = r.contents.map((c, i) => validateContent(c, `contents[${i}]`));
  if (r.systemInstruction !== undefined) validateContent(r.systemInstruction, 'system_instruction', { system: true });

  // Function calling turns: a model turn with functionCall parts follows a user turn (or a
  // function response turn), and the next turn answers every call with a functionResponse.
  contents.forEach((c, i) => {
    const calls = c.parts.filter((p) => p.functionCall);
    if (!calls.length) return;
    const prev = contents[i - 1];
    if (!prev || prev.role === 'model') {
      invalid('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
    }
    const next = contents[i + 1];
    if (!next) return;
    const responses = next.parts.filter((p) => p.functionResponse);
    if (responses.length !== calls.length) {
      invalid('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
    }
    const names = calls.map((p) => p.functionCall.name).sort().join(',');
    const answered = responses.map((p) => p.functionResponse.name).sort().join(',');
    if (names !== answered) invalid(`mock: the function responses (${answered}) do not name the function calls they answer (${names})`);
  });

  const declared = [];
  if (r.tools !== undefined) {
    if (!Array.isArray(r.tools)) invalid("Invalid value at 'tools' (type.googleapis.com/google.ai.generativelanguage.v1beta.Tool)", 'tools');
    r.tools.forEach((tool, i) => {
      const t = members(tool, TOOL, `tools[${i}]`);
      (t.functionDeclarations ?? []).forEach((decl, j) => {
        const at = `tools[${i}].function_declarations[${j}]`;
        const d = members(decl, DECLARATION, at);
        if (typeof d.name !== 'string' || !FUNCTION_NAME.test(d.name)) {
          invalid(`* GenerateContentRequest.${at}.name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n`, `${at}.name`);
        }
        if (d.parameters !== undefined) validateSchema(d.parameters, `${at}.parameters`);
        declared.push(d.name);
      });
    });
  }
  let mode;
  if (r.toolConfig !== undefined) {
    const tc = members(r.toolConfig, ['functionCallingConfig', 'retrievalConfig'], 'tool_config');
    if (tc.functionCallingConfig !== undefined) {
      const fc = members(tc.functionCallingConfig, ['mode', 'allowedFunctionNames'], 'tool_config.function_calling_config');
      if (fc.mode !== undefined && !MODES.includes(fc.mode)) {
        invalid(`Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), "${fc.mode}"`, 'tool_config.function_calling_config.mode');
      }
      mode = fc.mode;
    }
  }
  if (r.generationConfig !== undefined) {
    const g = members(r.generationConfig, GENERATION, 'generation_config');
    if (g.temperature !== undefined && !(typeof g.temperature === 'number' && g.temperature >= 0 && g.temperature <= 2)) {
      invalid('* GenerateContentRequest.generation_config.temperature: temperature must be in the range [0.0, 2.0]\n', 'generation_config.temperature');
    }
    if (g.stopSequences !== undefined && !(Array.isArray(g.stopSequences) && g.stopSequences.length <= 5)) {
      invalid('* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences\n', 'generation_config.stop_sequences');
    }
    if (g.maxOutputTokens !== undefined && !(Number.isInteger(g.maxOutputTokens) && g.maxOutputTokens > 0)) {
      invalid(`Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32), ${JSON.stringify(g.maxOutputTokens)}`, 'generation_config.max_output_tokens');
    }
    if (g.responseSchema !== undefined) validateSchema(g.responseSchema, 'generation_config.response_schema');
    validateModalities(g, model);
  }
  return { contents, declared: mode === 'NONE' ? [] : declared, generation: r.generationConfig ? members(r.generationConfig, GENERATION) : {}, system: r.systemInstruction };
}

function partText(p) {
  if (typeof p.text === 'string') return p.text;
  if (p.inlineData || p.inline_data || p.fileData || p.file_data) return '[image]';
  return '';
}

function responseText(response) {
  const keys = Object.keys(response ?? {});
  if (keys.length === 1 && typeof response[keys[0]] === 'string') return response[keys[0]];
  return JSON.stringify(response);
}

function view(body, model) {
  const { contents, declared, generation, system } = validate(body, model);
  let last = { kind: 'user', pieces: [] };
  for (let i = contents.length - 1; i >= 0; i--) {
    if ((contents[i].role ?? 'user') !== 'user') continue;
    const responses = contents[i].parts.filter((p) => p.functionResponse);
    if (responses.length && i === contents.length - 1) {
      last = { kind: 'tool', pieces: responses.map((p) => responseText(members(p.functionResponse, ['id', 'name', 'response', 'willContinue', 'scheduling', 'parts']).response)) };
    } else {
      last = { kind: 'user', pieces: [contents[i].parts.map(partText).filter(Boolean).join(' ')] };
    }
    break;
  }
  const systemParts = system ? (system.parts ?? []).map(partText) : [];
  const prompt = [...systemParts, ...contents.flatMap((c) => c.parts.map(partText))].join(' ');
  return {
    last,
    promptTokens: countTokens(prompt),
    tools: declared,
    maxTokens: generation.maxOutputTokens,
    stop: generation.stopSequences ?? [],
    json: generation.responseMimeType === 'application/json',
  };
}

const FINISH = { stop: 'STOP', length: 'MAX_TOKENS', tool_calls: 'STOP', stop_sequence: 'STOP', content_filter: 'SAFETY' };
const BLOCKING = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);
const SAFETY_OK = ['HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_DANGEROUS_CONTENT', 'HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_SEXUALLY_EXPLICIT']
  .map((category) => ({ category, probability: 'NEGLIGIBLE' }));
const SAFETY_BLOCKED = SAFETY_OK.map((r) => (r.category === 'HARM_CATEGORY_DANGEROUS_CONTENT' ? { ...r, probability: 'HIGH', blocked: true } : r));

function usageOf(reply, completion = reply.usage.completion) {
  const u = { promptTokenCount: reply.usage.prompt, candidatesTokenCount: completion, totalTokenCount: reply.usage.prompt + completion,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: reply.usage.prompt }] };
  if (reply.usage.cached) u.cachedContentTokenCount = reply.usage.cached;
  if (!completion) delete u.candidatesTokenCount;
  return u;
}

function candidate(parts, finishReason) {
  const c = { index: 0 };
  if (parts.length) c.content = { parts, role: 'model' };
  if (finishReason) c.finishReason = finishReason;
  c.safetyRatings = BLOCKING.has(finishReason) ? SAFETY_BLOCKED : SAFETY_OK;
  return c;
}

function fullParts(reply) {
  const parts = [];
  if (reply.text) parts.push({ text: reply.text });
  for (const c of reply.toolCalls) parts.push({ functionCall: { name: c.name, args: c.args } });
  return parts;
}

export const gemini = {
  name: 'gemini',
  routes: [
    { method: 'POST', pattern: /^\/v1beta\/models\/([^/:]+):generateContent$/, name: 'POST /v1beta/models/{model}:generateContent', handler: 'chat' },
    { method: 'POST', pattern: /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/, name: 'POST /v1beta/models/{model}:streamGenerateContent', handler: 'chat', stream: true },
    { method: 'POST', pattern: /^\/v1beta\/models\/([^/:]+):batchEmbedContents$/, name: 'POST /v1beta/models/{model}:batchEmbedContents', handler: 'embeddings' },
    { method: 'POST', pattern: /^\/v1beta\/models\/([^/:]+):embedContent$/, name: 'POST /v1beta/models/{model}:embedContent', handler: 'embeddings', single: true },
    { method: 'POST', pattern: /^\/v1beta\/models\/([^/:]+):predict$/, name: 'POST /v1beta/models/{model}:predict', handler: 'images' },
    { method: 'GET', pattern: /^\/v1beta\/models$/, name: 'GET /v1beta/models', handler: 'models' },
  ],

  errorBody,

  route(req, route, match, b, ctx) {
    ctx.model = decodeURIComponent(match[1] ?? '');
    if (Array.isArray(b.models) && route.handler !== 'models' && !b.models.includes(ctx.model)) {
      refuse(404, notFound(ctx.model, route));
    }
    // Imagen only predicts, and only Imagen predicts.
    if ((route.handler === 'images') !== ctx.model.startsWith('imagen') && route.handler !== 'models' && route.handler !== 'embeddings') {
      refuse(404, notFound(ctx.model, route));
    }
  },

  // A missing key is refused with 403; a wrong one with 400 API_KEY_INVALID (as Google does).
  authenticate(req, b) {
    const key = req.headers['x-goog-api-key'] ?? req.query.get('key') ?? undefined;
    if (key === undefined) {
      refuse(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
    }
    if (b.api_key !== undefined && key !== b.api_key) {
      refuse(400, 'API key not valid. Please pass a valid API key.', { details: [{
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      }] });
    }
  },

  namedError(kind) {
    switch (kind) {
      case 'context_length':
        return { status: 400, body: errorBody(400, 'The input token count (1200345) exceeds the maximum number of tokens allowed (1048576).') };
      case 'overloaded':
        return { status: 503, body: errorBody(503, 'The model is overloaded. Please try again later.') };
      case 'rate_limit':
        return { status: 429, body: errorBody(429, 'You exceeded your current quota, please check your plan and billing details.', { details: [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
        ] }) };
      case 'auth':
        return { status: 403, body: errorBody(403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.') };
      case 'content_filter':
        return { blockReason: 'SAFETY' };  // a 200 with promptFeedback.blockReason and no candidates
      default:
        return null;
    }
  },

  validate() {},  // done by view(), which needs the parsed turns
  view: (route, body, ctx) => view(body, ctx?.model),
  isStream: (route) => Boolean(route.stream),
  model: (route, body, ctx) => ctx.model,

  blocked(ctx, reply, blockReason) {
    return {
      promptFeedback: { blockReason, safetyRatings: SAFETY_BLOCKED },
      usageMetadata: { promptTokenCount: reply.usage.prompt, totalTokenCount: reply.usage.prompt },
      modelVersion: ctx.model, responseId: `mock${ctx.serial}`,
    };
  },

  completion(ctx, reply) {
    const finish = reply.nativeFinish ?? FINISH[reply.finish];
    const generation = members(ctx.body.generationConfig ?? ctx.body.generation_config ?? {}, GENERATION);
    if (wantsImages(generation)) return imageCompletion(ctx, reply, generation, finish);
    const parts = BLOCKING.has(finish) ? [] : fullParts(reply);
    return { candidates: [candidate(parts, finish)], usageMetadata: usageOf(reply), modelVersion: ctx.model, responseId: `mock${ctx.serial}` };
  },

  // One GenerateContentResponse per piece, each carrying the usage so far (the last one the
  // total); the last one has the finishReason. Framed by frame() below.
  streamEvents(ctx, reply) {
    const finish = reply.nativeFinish ?? FINISH[reply.finish];
    const responses = [];
    const meta = { modelVersion: ctx.model, responseId: `mock${ctx.serial}` };
    if (ctx.blockReason) {
      responses.push(this.blocked(ctx, reply, ctx.blockReason));
    } else if (BLOCKING.has(finish)) {
      const words = pieces(reply.text).slice(0, 2);
      words.forEach((w, i) => responses.push({ candidates: [candidate([{ text: w }])], usageMetadata: usageOf(reply, i + 1), ...meta }));
      responses.push({ candidates: [candidate([], finish)], usageMetadata: usageOf(reply, words.length), ...meta });
    } else {
      const items = [...pieces(reply.text).map((text) => ({ text })), ...reply.toolCalls.map((c) => ({ functionCall: { name: c.name, args: c.args } }))];
      if (!items.length) items.push({ text: '' });
      let done = 0;
      items.forEach((part, i) => {
        done += part.text !== undefined ? countTokens(part.text) : 0;
        const lastOne = i === items.length - 1;
        responses.push({ candidates: [candidate([part], lastOne ? finish : undefined)], usageMetadata: usageOf(reply, lastOne ? reply.usage.completion : done), ...meta });
      });
    }
    return frame(ctx, responses);
  },

  // Google ends a failing stream with an error object in place of the next response.
  streamError(message, ctx) {
    const error = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
    return ctx.sse ? frameOne(ctx, error) : `,\r\n${JSON.stringify(error)}]`;
  },
  malformedBody: '{"candidates": [ {"content": {"parts": [',
  malformedEvent: 'data: {"candidates": [{"content": {"parts": [\r\n\r\n',

  models: (req, b) => modelList(req.query, b),
  embeddings: (route, body, ctx) => (route.single ? embedContent(body, ctx.model) : batchEmbedContents(body, ctx.model)),
  images: (route, body, ctx, b) => predict(body, ctx.model, b),
  malformedImages: '{"predictions": [{"bytesBase64Encoded": "iVBOR',
  malformedEmbeddings: '{"embeddings": [{"values": [0.1,',
  malformedModels: '{"models": [{"name": "models/gem',
};

const notFound = (model, route) => `models/${model} is not found for API version v1beta, or is not supported for ${
  { embeddings: 'embedContent', images: 'predict' }[route.handler] ?? 'generateContent'}. Call ListModels to see the list of available models and their supported methods.`;

// An image model's answer: the picture of the last user turn as inlineData (after the text when
// TEXT is asked too), 1290 output tokens. A blocking finish reason (scenario finish_reason
// IMAGE_SAFETY …) or NO_IMAGE gives no image; NO_IMAGE answers the text instead.
function imageCompletion(ctx, reply, generation, finish) {
  const text = generation.responseModalities.some((m) => String(m).toUpperCase() === 'TEXT');
  const image = { inlineData: { mimeType: 'image/png', data: pngOf(reply.text) } };
  let parts = text ? [{ text: reply.text }, image] : [image];
  if (BLOCKING.has(finish)) parts = [];
  else if (finish === 'NO_IMAGE' || finish === 'IMAGE_OTHER') parts = [{ text: reply.text }];
  const out = parts.some((p) => p.inlineData) ? IMAGE_TOKENS : 0;
  const usageMetadata = { promptTokenCount: reply.usage.prompt, candidatesTokenCount: out, totalTokenCount: reply.usage.prompt + out,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: reply.usage.prompt }] };
  if (out) usageMetadata.candidatesTokensDetails = [{ modality: 'IMAGE', tokenCount: out }];
  return { candidates: [candidate(parts, finish)], usageMetadata, modelVersion: ctx.model, responseId: `mock${ctx.serial}` };
}

// ---------------------------------------------------------------------------
// Imagen (https://ai.google.dev/gemini-api/docs/imagen): POST models/{imagen}:predict with
// {instances: [{prompt}], parameters: {sampleCount 1..4, aspectRatio, imageSize, personGeneration}};
// the answer is {predictions: [{mimeType, bytesBase64Encoded}]}. Scenario finish_reason (any)
// filters every image: {} without includeRaiReason, raiFilteredReason entries with it.

const IMAGEN_PARAMETERS = ['sampleCount', 'aspectRatio', 'imageSize', 'personGeneration', 'negativePrompt', 'enhancePrompt', 'seed',
  'addWatermark', 'includeRaiReason', 'includeSafetyAttributes', 'outputOptions', 'language', 'guidanceScale', 'safetySetting'];
const RAI_REASON = "Unable to show generated images. All images were filtered out because they violated Vertex AI's usage guidelines. You will not be charged for blocked images.";

function predict(body, model, b) {
  const r = members(body, ['instances', 'parameters']);
  if (!Array.isArray(r.instances) || r.instances.length === 0) invalid('* PredictRequest.instances: instances is not specified\n', 'instances');
  if (r.instances.length > 1) invalid('Only one prompt is supported per request.', 'instances');
  const instance = members(r.instances[0], ['prompt', 'image', 'mask'], 'instances[0]');
  if (typeof instance.prompt !== 'string' || !instance.prompt) invalid('* PredictRequest.instances[0].prompt: prompt is not specified\n', 'instances[0].prompt');
  const p = members(r.parameters ?? {}, IMAGEN_PARAMETERS, 'parameters');
  const count = p.sampleCount ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 4) invalid(`Number of images must be between 1 and 4, got ${JSON.stringify(p.sampleCount)}.`, 'parameters.sampleCount');
  if (p.aspectRatio !== undefined && !['1:1', '3:4', '4:3', '9:16', '16:9'].includes(p.aspectRatio)) invalid(`Unsupported aspect ratio: ${p.aspectRatio}`, 'parameters.aspectRatio');
  if (p.imageSize !== undefined && (!['1K', '2K'].includes(p.imageSize) || model.includes('fast'))) invalid(`Unsupported image size: ${p.imageSize} for models/${model}`, 'parameters.imageSize');
  if (p.personGeneration !== undefined && !['dont_allow', 'allow_adult', 'allow_all'].includes(p.personGeneration)) {
    invalid(`Unsupported person generation mode: ${p.personGeneration}`, 'parameters.personGeneration');
  }
  if (b.finish_reason !== undefined) return p.includeRaiReason ? { predictions: [{ raiFilteredReason: RAI_REASON }] } : {};
  return { predictions: Array.from({ length: count }, (_, i) => ({ mimeType: 'image/png', bytesBase64Encoded: pngOf(instance.prompt, i) })) };
}

// alt=sse: "data: …" lines ended with CRLF, as Google sends them; otherwise one JSON array
// written element by element.
function frameOne(ctx, response, first) {
  if (ctx.sse) return `data: ${JSON.stringify(response)}\r\n\r\n`;
  return `${first ? '[' : ',\r\n'}${JSON.stringify(response)}`;
}

function frame(ctx, responses) {
  const events = responses.map((r, i) => frameOne(ctx, r, i === 0));
  if (!ctx.sse) events[events.length - 1] += ']';
  return events;
}

// ---------------------------------------------------------------------------
// Embeddings (https://ai.google.dev/api/embeddings): embedContent and batchEmbedContents.
// Gemini counts no tokens for them: answers carry only the vectors.

const EMBED_REQUEST = ['model', 'content', 'taskType', 'title', 'outputDimensionality'];
const TASK_TYPES = ['TASK_TYPE_UNSPECIFIED', 'RETRIEVAL_QUERY', 'RETRIEVAL_DOCUMENT', 'SEMANTIC_SIMILARITY', 'CLASSIFICATION',
  'CLUSTERING', 'QUESTION_ANSWERING', 'FACT_VERIFICATION', 'CODE_RETRIEVAL_QUERY'];

function embedOne(request, at, urlModel, requireModel) {
  if (!isObject(request)) invalid(`Invalid value at '${at || 'request'}' (type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentRequest)`, at || undefined);
  const r = members(request, EMBED_REQUEST, at || undefined);
  const where = at ? `${at}.` : '';
  if (r.model === undefined ? requireModel : r.model !== `models/${urlModel}`) {
    invalid(`* BatchEmbedContentsRequest.${where}model: the model of each request (${r.model ?? 'none'}) must be the model of the URL (models/${urlModel})\n`, `${where}model`);
  }
  if (!isObject(r.content)) invalid(`* EmbedContentRequest.${where}content: content is not specified\n`, `${where}content`);
  const c = members(r.content, CONTENT, `${where}content`);
  if (!Array.isArray(c.parts) || c.parts.length === 0) invalid(`* EmbedContentRequest.${where}content.parts: contents.parts must not be empty.\n`, `${where}content.parts`);
  const texts = c.parts.map((p, j) => {
    const part = members(p, PART, `${where}content.parts[${j}]`);
    if (typeof part.text !== 'string') invalid(`* EmbedContentRequest.${where}content.parts[${j}]: only text can be embedded\n`, `${where}content.parts[${j}]`);
    return part.text;
  });
  if (r.taskType !== undefined && !TASK_TYPES.includes(r.taskType)) {
    invalid(`Invalid value at '${where}task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), "${r.taskType}"`, `${where}task_type`);
  }
  const dims = r.outputDimensionality;
  if (dims !== undefined && !(Number.isInteger(dims) && dims >= 1 && dims <= 3072)) {
    invalid(`* EmbedContentRequest.${where}output_dimensionality: Output dimensionality must be between 1 and 3072.\n`, `${where}output_dimensionality`);
  }
  return { values: embedVector(texts.join(' '), dims ?? 8) };
}

function batchEmbedContents(body, urlModel) {
  const b = members(body, ['requests']);
  if (!Array.isArray(b.requests) || b.requests.length === 0) invalid('* BatchEmbedContentsRequest.requests: requests is not specified\n', 'requests');
  if (b.requests.length > 100) invalid('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n', 'requests');
  return { embeddings: b.requests.map((r, i) => embedOne(r, `requests[${i}]`, urlModel, true)) };
}

const embedContent = (body, urlModel) => ({ embedding: embedOne(body, '', urlModel, false) });

// ---------------------------------------------------------------------------
// models.list (https://ai.google.dev/api/models#method:-models.list): `models/…` names, pages
// of pageSize (default 50, at most 1000) with nextPageToken.

const GENERATE = ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'];
const EMBED = ['embedContent', 'countTextTokens', 'countTokens', 'asyncBatchEmbedContent'];

function modelInfo(id) {
  const methods = id.includes('embedding') ? EMBED : id.startsWith('imagen') ? ['predict'] : GENERATE;
  return {
    name: `models/${id}`, version: '001', displayName: id, description: `mock ${id}`,
    inputTokenLimit: methods === EMBED ? 2048 : 1048576, outputTokenLimit: methods === EMBED ? 1 : 8192,
    supportedGenerationMethods: methods,
  };
}

function modelList(query, b) {
  const ids = Array.isArray(b.models) ? b.models : ['gemini-2.0-flash', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-embedding-001', 'imagen-4.0-generate-001'];
  const size = Math.min(1000, Math.max(1, Number(query.get('pageSize') ?? 50) || 50));
  const from = query.get('pageToken') ? Number(Buffer.from(query.get('pageToken'), 'base64').toString()) || 0 : 0;
  const page = { models: ids.slice(from, from + size).map(modelInfo) };
  if (from + size < ids.length) page.nextPageToken = Buffer.from(String(from + size)).toString('base64');
  return page;
}
