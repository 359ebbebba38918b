// Form helpers: an error shown next to its field (`<name>-error`, the field marked aria-invalid), and a button
// that says it is busy while its work runs.
import { $, setText, show } from "./dom.js";

export function fieldError(name, text) {
  const box = $(`${name}-error`);
  if (!box) return;
  setText(box, text);
  show(box);
  const input = $(name);
  if (input && /^(INPUT|SELECT|TEXTAREA)$/.test(input.tagName)) input.setAttribute("aria-invalid", "true");
}

export function clearFieldError(name) {
  const box = $(`${name}-error`);
  if (box) {
    setText(box, "");
    show(box, false);
  }
  $(name)?.removeAttribute("aria-invalid");
}

/** Runs work() with `button` labelled `label` and the buttons of `group` disabled. */
export async function busy(button, label, work, group = [button]) {
  const original = button.textContent;
  for (const b of group) b.disabled = true;
  button.textContent = label;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    for (const b of group) b.disabled = false;
    button.textContent = original;
    button.removeAttribute("aria-busy");
  }
}
