// A CommonJS program: require('switchyard') in Node, a chat call on the echo provider, and
// SwitchyardError recognising an error the package throws. Prints one JSON line for
// tests/js/types.test.js.
'use strict';

const { createSwitchyard, SwitchyardError } = require('switchyard');

async function main() {
  const sy = await createSwitchyard({ config: { providers: { demo: { type: 'echo' } } } });
  const answer = await sy.chat.completions.create({ model: 'demo/echo-1', messages: [{ role: 'user', content: 'hello from CommonJS' }] });
  let refused = null;
  try {
    await sy.call('no-such-service');
  } catch (error) {
    refused = { instanceOf: error instanceof SwitchyardError, status: error.status };
  }
  sy.close();
  let badConfig = null;
  try {
    await createSwitchyard({ config: { providers: {} } });
  } catch (error) {
    badConfig = { instanceOf: error instanceof SwitchyardError, status: error.status };
  }
  console.log(JSON.stringify({ content: answer.choices[0].message.content, refused, badConfig }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
