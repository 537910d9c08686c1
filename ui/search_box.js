// Suggestions under the search box while typing (ui/search_box.py): the ARIA combobox pattern on
// Streamlit's own text input, a listbox fed by the API's /suggest, read by the browser itself.
// Text is set with textContent only. Enter on a suggestion chooses it; Enter otherwise is the plain search.
export default function ({ parentElement, data, setTriggerValue }) {
  const doc = parentElement.ownerDocument;
  let input = null; // Streamlit's text input, once drawn (and again if React draws a new one)
  const list = parentElement.appendChild(doc.createElement("ul"));
  list.id = "impact-suggestions";
  list.className = "impact-suggest-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", data.texts.list);
  list.hidden = true;
  const status = parentElement.appendChild(doc.createElement("div"));
  status.className = "impact-sr-only";
  status.setAttribute("role", "status");
  const combobox = { role: "combobox", "aria-autocomplete": "list", "aria-controls": list.id, "aria-expanded": "false" };

  let items = [];
  let active = -1;
  let timer = 0;
  let sequence = 0;
  let controller = null;

  const close = () => {
    list.hidden = true;
    active = -1;
    if (!input) return;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
      if (i === index) {
        option.scrollIntoView({ block: "nearest" });
        input.setAttribute("aria-activedescendant", option.id);
      }
    });
    if (index < 0) input.removeAttribute("aria-activedescendant");
  };
  const choose = (index) => {
    const item = items[index];
    close();
    if (!item) return;
    if (item.kind !== "practice") {
      // The words chosen are the search: shown in the box at once, as Streamlit will show them.
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(input, item.text);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    setTriggerValue("chosen", { kind: item.kind, text: item.text, id: item.id || null });
  };
  const show = (found) => {
    items = found;
    list.textContent = "";
    found.forEach((item, i) => {
      const option = list.appendChild(doc.createElement("li"));
      option.id = "impact-suggestion-" + i;
      option.className = "impact-suggestion";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      const kind = option.appendChild(doc.createElement("span"));
      kind.className = "impact-suggestion-kind";
      kind.textContent = data.labels[item.kind] || "";
      const separator = option.appendChild(doc.createElement("span"));
      separator.className = "impact-sr-only";
      separator.textContent = " : ";
      option.appendChild(doc.createElement("span")).textContent = item.text;
      option.addEventListener("mousedown", (event) => event.preventDefault()); // the box keeps the focus
      option.addEventListener("click", () => choose(i));
    });
    active = -1;
    if (!found.length) {
      close();
      status.textContent = "";
      return;
    }
    const box = input.getBoundingClientRect();
    const host = parentElement.getBoundingClientRect();
    list.style.top = box.bottom - host.top + 4 + "px";
    list.style.left = box.left - host.left + "px";
    list.style.width = box.width + "px";
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    input.removeAttribute("aria-activedescendant");
    status.textContent = (found.length > 1 ? data.texts.many : data.texts.one).replace("{n}", found.length);
  };
  const ask = () => {
    if (!input) return;
    const words = input.value.trim();
    const seq = ++sequence;
    if (controller) controller.abort();
    if (words.length < data.min_chars) {
      show([]);
      return;
    }
    controller = new AbortController();
    const url = data.api + "/api/v1/suggest?" + new URLSearchParams({ q: words.slice(0, 100), limit: data.limit });
    fetch(url, { headers: { Accept: "application/json" }, signal: controller.signal })
      .then((response) => (response.ok ? response.json() : { suggestions: [] }))
      .then((body) => {
        if (seq === sequence && doc.activeElement === input) show(body.suggestions || []);
      })
      .catch(() => undefined); // no suggestions; the search itself still works
  };
  const onInput = (event) => {
    if (!event.isTrusted) return; // our own setting of the chosen words
    clearTimeout(timer);
    timer = setTimeout(ask, data.delay_ms);
  };
  const onKeyDown = (event) => {
    const open = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!items.length) return;
      event.preventDefault();
      if (!open) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(active < 0 && step < 0 ? items.length - 1 : (active + step + items.length) % items.length);
    } else if (event.key === "Enter" && open && active >= 0) {
      // Before Streamlit sees it: the suggestion is chosen, the unfinished words are not searched.
      event.preventDefault();
      event.stopPropagation();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Enter" || event.key === "Tab") {
      sequence++; // an answer still on its way is not shown over the results
      clearTimeout(timer);
      close();
    }
  };
  const onBlur = () => {
    items = [];
    sequence++;
    clearTimeout(timer);
    close();
  };
  const listeners = { input: onInput, keydown: onKeyDown, blur: onBlur };
  const detach = () => {
    if (!input) return;
    for (const [type, listener] of Object.entries(listeners)) input.removeEventListener(type, listener);
    for (const name of [...Object.keys(combobox), "aria-activedescendant"]) input.removeAttribute(name);
    input = null;
  };
  const attach = () => {
    const found = doc.querySelector(".st-key-" + data.input + " input");
    if (found === input) return;
    detach();
    close();
    input = found;
    if (!input) return;
    for (const [name, value] of Object.entries(combobox)) input.setAttribute(name, value);
    for (const [type, listener] of Object.entries(listeners)) input.addEventListener(type, listener);
  };
  const watch = new MutationObserver(attach);
  watch.observe(doc.body, { childList: true, subtree: true });
  attach();
  return () => {
    watch.disconnect();
    clearTimeout(timer);
    if (controller) controller.abort();
    detach();
    list.remove();
    status.remove();
  };
}
