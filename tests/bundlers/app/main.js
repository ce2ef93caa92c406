// A tiny app as a user writes it: the package by its name, no bundler configuration. It
// answers one chat call from the echo provider and writes the answer (or the error) to the page.
import { createSwitchyard } from 'switchyard';

const out = document.getElementById('answer');
try {
  const sy = await createSwitchyard({ config: { providers: { demo: { type: 'echo' } } } });
  const answer = await sy.chat.completions.create({
    model: 'demo/echo-1',
    messages: [{ role: 'user', content: 'hello from a bundle' }],
  });
  out.textContent = answer.choices[0].message.content;
  out.dataset.at = String(performance.now()); // ms since navigation (bench/start_bench.mjs reads it)
  out.dataset.state = 'answered';
} catch (error) {
  out.textContent = `${error.name}: ${error.message}`;
  out.dataset.state = 'failed';
}
