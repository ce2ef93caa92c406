// Azure OpenAI (https://learn.microsoft.com/azure/ai-services/openai/reference):
//   POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=2024-10-21
//   api-key: <key>            (or Authorization: Bearer <Entra token>)
// The body is OpenAI's minus `model` (the deployment picks it); answers are OpenAI's plus
// content-filter annotations, and a stream starts with a chunk whose `choices` is empty and
// which carries only `prompt_filter_results`.
import { refuse } from './common.mjs';
import { chatView, completion, embeddings, errorBody as openaiErrorBody, imageFamily, images, openai, streamEvents, validateChat } from './openai.mjs';

const FILTER_OK = {
  hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' },
};
const PROMPT_FILTER = [{ prompt_index: 0, content_filter_results: FILTER_OK }];
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

// Azure's own errors are `{error: {code, message}}` (code a string); validation errors from
// the OpenAI layer keep OpenAI's `{message, type, param, code}`.
function errorBody(status, message, extra = {}) {
  if (extra.azure) return { error: { code: extra.azure, message, ...(extra.more ?? {}) } };
  if (status === 429) return { error: { code: '429', message } };
  if (status >= 500) return { error: { code: 'InternalServerError', message } };
  return openaiErrorBody(status, message, extra);
}

const CONTENT_FILTER_MESSAGE = "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766";

export const azure = {
  name: 'azure',
  routes: [
    { method: 'POST', pattern: /^\/openai\/deployments\/([^/]+)\/chat\/completions$/, name: 'POST /openai/deployments/{deployment}/chat/completions', handler: 'chat' },
    { method: 'POST', pattern: /^\/openai\/deployments\/([^/]+)\/embeddings$/, name: 'POST /openai/deployments/{deployment}/embeddings', handler: 'embeddings' },
    { method: 'POST', pattern: /^\/openai\/deployments\/([^/]+)\/images\/generations$/, name: 'POST /openai/deployments/{deployment}/images/generations', handler: 'images' },
  ],

  errorBody,

  // Before auth, like Azure: no api-version → 404; a malformed one → 400.
  route(req, route, match, b, ctx) {
    const version = req.query.get('api-version');
    if (version === null) refuse(404, 'Resource not found', { azure: '404' });
    if (!API_VERSION.test(version)) refuse(400, 'API version not supported', { azure: 'BadRequest' });
    const deployment = decodeURIComponent(match[1]);
    ctx.deployment = deployment;
    if (Array.isArray(b.deployments) && !b.deployments.includes(deployment)) {
      refuse(404, 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.', { azure: 'DeploymentNotFound' });
    }
  },

  authenticate(req, b) {
    const key = req.headers['api-key'] ?? /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (key === undefined || (b.api_key !== undefined && key !== b.api_key)) {
      refuse(401, 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.', { azure: '401' });
    }
  },

  namedError(kind) {
    switch (kind) {
      case 'content_filter':
        return {
          status: 400,
          body: { error: {
            message: CONTENT_FILTER_MESSAGE, type: null, param: 'prompt', code: 'content_filter', status: 400,
            innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { ...FILTER_OK, violence: { filtered: true, severity: 'high' } } },
          } },
        };
      case 'rate_limit':
        return { status: 429, headers: { 'retry-after': '1' }, body: errorBody(429, 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second.') };
      case 'auth':
        return { status: 401, body: errorBody(401, 'Access denied due to invalid subscription key or wrong API endpoint.', { azure: '401' }) };
      default:
        return openai.namedError(kind);
    }
  },

  validate(route, body) { if (route.handler === 'chat') validateChat(body, ['data_sources', 'user_security_context']); },
  view: (route, body) => chatView(body),
  isStream: (route, body) => Boolean(body.stream),
  // Azure answers with the model behind the deployment, not the deployment's name.
  model: () => 'gpt-4o-2024-08-06',

  completion: (ctx, reply) => completion(ctx, reply, {
    choice: { content_filter_results: FILTER_OK },
    top: { prompt_filter_results: PROMPT_FILTER },
  }),
  streamEvents: (ctx, reply) => streamEvents(ctx, reply, {
    first: [{ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER }],
    choice: { content_filter_results: {} },
  }),
  streamError: openai.streamError,
  malformedBody: openai.malformedBody,
  malformedEvent: openai.malformedEvent,
  // The deployment picks the model: `model` may be sent (the SDKs do) and is ignored.
  embeddings: (route, body) => embeddings(body, { model: 'text-embedding-3-small', requireModel: false, extraMembers: ['input_type'] }),
  // The deployment's name tells the model family (dall-e-3, gpt-image-1 …); `model` may be sent
  // and is ignored. dall-e-3 images carry content filter annotations, gpt-image-1's none.
  images: (route, body, ctx) => images(body, {
    model: ctx.deployment,
    annotate: (item) => (imageFamily(ctx.deployment) === 'gpt' ? item
      : { ...item, content_filter_results: FILTER_OK, prompt_filter_results: FILTER_OK }),
  }),
};
