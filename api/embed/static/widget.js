/*! IMPACT-Pratiques widget: plain JavaScript, no framework, no build step; 18448 bytes (6.5 kB gzipped).
 * <script src="https://API/widget.js" defer></script>
 * <impact-pratiques q="tiers-lieux" territory-type="rural" odd="8" size="5"></impact-pratiques>
 * Attributes: q, territory-type, actor-category, odd, region, department (INSEE codes), epci (SIREN) (lists:
 * comma-separated), year-from, year-to,
 * sort, size (10 by default), preset (a saved preset's slug), heading, accent (#RRGGBB), target (blank|self), api (origin),
 * search-box (present: a search box above the list, with suggestions while typing from /api/v1/suggest).
 * Renders in a Shadow DOM; text is set with textContent only, highlights keep nothing but <mark>. */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("impact-pratiques")) return;
  var script = document.currentScript;
  var ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var RETRIES = 2, RETRY_MAX_S = 5; // a busy API's 503 / 429, asked again (`fetchJson`)
  var LISTS = { "territory-type": "territory_type", "actor-category": "actor_category", odd: "odd", region: "region",
    department: "department", epci: "epci" };
  var SCALARS = { q: "q", "year-from": "year_from", "year-to": "year_to", sort: "sort", size: "size" };
  var KINDS = { tag: "Thème", programme: "Programme", territory: "Territoire", practice: "Pratique" };
  var ODD = ("E5243B DDA63A 4C9F38 C5192D FF3A21 26BDE2 FCC30B A21942 FD6925 DD1367 FD9D24 BF8B2E 3F7E44 " +
    "0A97D9 56C02B 00689D 19486A").split(" ");
  var DARK_TEXT = [2, 3, 5, 6, 7, 9, 11, 12, 14, 15]; // dark text where white misses 4.5:1 (the referential's)
  var CSS = ":host{display:block;--a:#19486A;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;" +
    "color:#1a1a1a;background:#fff;text-align:left}*{box-sizing:border-box}" +
    ".t{font-weight:700;font-size:1.1rem;margin:0 0 4px;padding-bottom:4px;border-bottom:3px solid var(--a)}" +
    ".s{margin:4px 0;color:#555;font-size:.9rem}.e{color:#8a1c1c}ol{list-style:none;margin:0;padding:0}" +
    "li.r{padding:10px 0 10px 12px;border-left:3px solid var(--a);margin:8px 0}" +
    "h3{font-size:1rem;line-height:1.35;margin:0}a{color:#1a1a1a}a:hover{color:var(--a)}" +
    "a:focus-visible,button:focus-visible{outline:3px solid var(--a);outline-offset:2px}" +
    ".m{margin:2px 0;color:#555;font-size:.85rem}p.d{margin:4px 0;font-size:.95rem}mark{background:#fff0a8;color:inherit}" +
    ".c{display:flex;flex-wrap:wrap;gap:4px;list-style:none;margin:4px 0 0;padding:0}" +
    ".c li{font-size:.75rem;padding:0 8px;border-radius:10px;color:#fff}" +
    "nav{display:flex;gap:12px;align-items:center;margin-top:8px}" +
    "button{font:inherit;font-size:.9rem;padding:2px 10px;border:1px solid var(--a);background:#fff;color:#1a1a1a;" +
    "border-radius:4px;cursor:pointer}.f{font-size:.75rem;color:#555;margin-top:8px}" +
    ".q{position:relative;margin:0 0 8px}.q label{display:block;font-size:.9rem;font-weight:600}" +
    ".q input{width:100%;font:inherit;padding:6px 8px;border:1px solid #767676;border-radius:4px}" +
    ".q input:focus-visible{outline:3px solid var(--a);outline-offset:1px}.q ul{position:absolute;z-index:9;left:0;" +
    "right:0;top:100%;margin:2px 0 0;padding:4px 0;list-style:none;background:#fff;border:1px solid var(--a);" +
    "border-radius:4px;box-shadow:0 4px 12px rgba(0,0,0,.15)}.q li{padding:6px 10px;cursor:pointer}" +
    ".q li[aria-selected=true],.q li:hover{background:#e3ecf3}.q b{display:inline-block;min-width:6.5em;" +
    "font-size:.75rem;color:var(--a)}.v{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);" +
    "white-space:nowrap}";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function decode(text) {
    var named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, function (_, code) {
      if (code[0] !== "#") return named[code.toLowerCase()];
      return String.fromCodePoint(code[1] === "x" || code[1] === "X" ? parseInt(code.slice(2), 16) : +code.slice(1));
    });
  }

  // The API's highlights are escaped text with <mark>: rebuild them as text nodes and <mark> elements only.
  function fill(parent, highlighted, plain) {
    var parts = highlighted ? highlighted.split(/(<\/?mark>)/) : [];
    var open = parts.filter(function (p) { return p === "<mark>"; }).length;
    if (!highlighted || open !== parts.filter(function (p) { return p === "</mark>"; }).length) {
      parent.textContent = plain;
      return;
    }
    var target = parent;
    parts.forEach(function (part) {
      if (part === "<mark>") target = parent.appendChild(el("mark"));
      else if (part === "</mark>") target = parent;
      else if (part) target.appendChild(document.createTextNode(decode(part)));
    });
  }

  function split(value) {
    return (value || "").split(",").map(function (v) { return v.trim(); }).filter(Boolean);
  }

  class ImpactPratiques extends HTMLElement {
    static get observedAttributes() {
      return Object.keys(LISTS).concat(Object.keys(SCALARS), ["preset", "heading", "accent", "target", "api", "search-box"]);
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      if (this.root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
        var sheet = new CSSStyleSheet(); // not an inline <style>: works under a partner's strict CSP
        sheet.replaceSync(CSS);
        this.root.adoptedStyleSheets = [sheet];
      } else {
        this.root.appendChild(el("style", null, CSS));
      }
      this.box = this.root.appendChild(el("div"));
      this.page = 1;
      this.seq = 0;
    }

    connectedCallback() { this.schedule(); }

    attributeChangedCallback(name) {
      if (name === "q") {
        this.typed = null; // the page's own words again
        if (this.input) this.input.value = this.getAttribute("q") || "";
      }
      this.page = 1;
      this.schedule();
    }

    schedule() {
      var self = this;
      if (self.pending || !self.isConnected) return;
      self.pending = true;
      Promise.resolve().then(function () {
        self.pending = false;
        self.load();
      });
    }

    api() {
      try { return new URL(this.getAttribute("api") || ORIGIN, location.href).origin; } catch (e) { return ORIGIN; }
    }

    // 503 / 429 + Retry-After: nothing was done; asked again after a short wait, else the error shows.
    fetchJson(path, retries) {
      var self = this;
      var left = retries == null ? RETRIES : retries;
      return fetch(this.api() + path, { headers: { Accept: "application/json" } }).then(function (response) {
        var wait = Number(response.headers.get("Retry-After") || 1);
        if ((response.status === 503 || response.status === 429) && left > 0 && wait >= 0 && wait <= RETRY_MAX_S) {
          return new Promise(function (done) { setTimeout(done, wait * 1000); }).then(function () {
            return self.fetchJson(path, left - 1);
          });
        }
        if (response.status === 422) return response.json().then(function (body) { // attributes refused
          var all = Object.assign({}, LISTS, SCALARS), e = new Error("HTTP 422");
          e.fields = body.error.details.map(function (d) {
            var field = d.loc[1] || d.loc[d.loc.length - 1]; // a field, or where a rule of several was checked
            return Object.keys(all).filter(function (a) { return all[a] === field; })[0] || field;
          });
          throw e;
        });
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    }

    // The search to run and the look: the preset's when `preset` is set, else the attributes'.
    settings() {
      var self = this;
      var slug = self.getAttribute("preset");
      if (slug) {
        return self.fetchJson("/api/v1/presets/" + encodeURIComponent(slug)).then(function (preset) {
          return { filters: preset.filters, title: preset.title, accent: preset.theme.accent, target: preset.theme.target };
        });
      }
      var filters = {};
      Object.keys(LISTS).forEach(function (name) { filters[LISTS[name]] = split(self.getAttribute(name)); });
      Object.keys(SCALARS).forEach(function (name) {
        if (self.hasAttribute(name)) filters[SCALARS[name]] = self.getAttribute(name);
      });
      filters.size = filters.size || "10"; // as the iframe
      return Promise.resolve({
        filters: filters,
        title: self.getAttribute("heading"),
        accent: self.getAttribute("accent"),
        target: self.getAttribute("target"),
      });
    }

    // The search box (attribute search-box): an ARIA combobox whose suggestions come from /api/v1/suggest.
    searchBox() {
      var self = this;
      if (self.input || !self.hasAttribute("search-box")) return;
      var form = self.root.insertBefore(el("form", "q"), self.box);
      form.setAttribute("role", "search");
      var label = form.appendChild(el("label", null, "Rechercher une pratique"));
      var input = self.input = form.appendChild(el("input"));
      var list = form.appendChild(el("ul"));
      var live = form.appendChild(el("p", "v"));
      var items = [], active = -1, timer, seq = 0;
      input.id = label.htmlFor = "q"; // ids are the shadow root's own
      input.type = "search";
      input.autocomplete = "off";
      input.value = self.getAttribute("q") || "";
      [["role", "combobox"], ["aria-autocomplete", "list"], ["aria-controls", "l"], ["aria-expanded", "false"]]
        .forEach(function (a) { input.setAttribute(a[0], a[1]); });
      list.id = "l";
      list.hidden = true;
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Suggestions");
      live.setAttribute("role", "status");
      function close() {
        list.hidden = true;
        active = -1;
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
      }
      function mark(index) {
        active = index;
        [].forEach.call(list.children, function (option, i) {
          option.setAttribute("aria-selected", String(i === index));
          if (i === index) input.setAttribute("aria-activedescendant", option.id);
        });
      }
      function choose(i) {
        var chosen = items[i];
        close();
        if (chosen.kind !== "practice") {
          input.value = chosen.text;
          self.search(chosen.text);
        } else if (/^https?:\/\//i.test(chosen.url)) {
          if (self.getAttribute("target") === "self") location.assign(chosen.url);
          else window.open(chosen.url, "_blank", "noopener");
        }
      }
      function show(found) {
        items = found;
        list.textContent = "";
        found.forEach(function (item, i) {
          var option = list.appendChild(el("li"));
          option.id = "o" + i;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.appendChild(el("b", null, KINDS[item.kind] || ""));
          option.appendChild(el("span", "v", " : "));
          option.appendChild(document.createTextNode(item.text));
          option.addEventListener("mousedown", function (e) { e.preventDefault(); }); // the box keeps the focus
          option.addEventListener("click", function () { choose(i); });
        });
        close();
        list.hidden = !found.length;
        input.setAttribute("aria-expanded", String(!!found.length));
        live.textContent = found.length ? found.length + " suggestion" + (found.length > 1 ? "s" : "") +
          " : flèches haut et bas pour choisir, Entrée pour valider" : "";
      }
      input.addEventListener("input", function () {
        var words = input.value.trim(), n = ++seq;
        clearTimeout(timer);
        if (words.length < 2) return show([]);
        timer = setTimeout(function () {
          self.fetchJson("/api/v1/suggest?" + new URLSearchParams({ q: words.slice(0, 100), limit: 8 }))
            .then(function (answer) { if (n === seq && self.root.activeElement === input) show(answer.suggestions); })
            .catch(function () { show([]); }); // no suggestions; Entrée still searches
        }, 150);
      });
      input.addEventListener("keydown", function (e) {
        if ((e.key === "ArrowDown" || e.key === "ArrowUp") && items.length) {
          e.preventDefault();
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
          mark(e.key === "ArrowDown" ? (active + 1) % items.length : (active < 1 ? items.length : active) - 1);
        } else if (e.key === "Escape" && !list.hidden) {
          e.preventDefault(); // not the search field's own clearing
          close();
        }
      });
      input.addEventListener("blur", function () { seq++; close(); });
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        if (!list.hidden && active >= 0) return choose(active);
        seq++;
        close();
        self.search(input.value.trim());
      });
    }

    search(words) {
      if (this.input) this.input.value = words;
      this.typed = words;
      this.page = 1;
      this.load();
    }

    load() {
      var self = this;
      var seq = ++self.seq;
      self.searchBox();
      self.status("Chargement des pratiques…");
      self.box.setAttribute("aria-busy", "true");
      self.settings().then(function (look) {
        if (self.typed != null) look.filters.q = self.typed; // the visitor's words, in place of the page's
        var query = new URLSearchParams();
        Object.keys(look.filters).forEach(function (key) {
          var value = look.filters[key];
          if (key === "page" || value == null || value === "") return;
          [].concat(value).forEach(function (v) { query.append(key, v); });
        });
        query.set("page", self.page);
        return self.fetchJson("/api/v1/search?" + query).then(function (result) {
          if (seq === self.seq) self.render(result, look);
        });
      }).catch(function (e) {
        if (seq !== self.seq) return;
        if (e.fields) return self.status("Module mal configuré, attribut refusé : " + e.fields.filter(function (f, i, a) {
          return a.indexOf(f) === i; }).join(", ") + ". Le site qui l'intègre doit le corriger.", true);
        var retry = el("button", null, "Réessayer");
        retry.addEventListener("click", function () { self.load(); });
        self.status("Impossible de charger les pratiques pour le moment.", true).appendChild(retry);
      });
    }

    status(text, failed) {
      this.box.textContent = "";
      this.box.removeAttribute("aria-busy");
      var line = this.box.appendChild(el("p", failed ? "s e" : "s", text + " "));
      line.setAttribute("role", failed ? "alert" : "status");
      return line;
    }

    note(text, action, words) {
      var self = this;
      self.box.appendChild(el("p", "s", text)).appendChild(el("button", null, action))
        .addEventListener("click", function () { self.search(words); });
    }

    render(result, look) {
      var self = this;
      if (/^#?[0-9a-f]{6}$/i.test(look.accent || "")) self.style.setProperty("--a", "#" + look.accent.replace("#", ""));
      self.status(result.total === 0 ? "Aucune pratique ne correspond à cette recherche." :
        result.total + (result.total > 1 ? " pratiques" : " pratique"));
      if (look.title) self.box.insertBefore(el("p", "t", look.title), self.box.firstChild);
      // What the search did with the words: an ODD read as the filter, a typo's closest words; one click undoes it.
      var u = result.understood, fix = result.corrected_query;
      if (u) self.note("« " + u.mentions.join(" », « ") + " » lu comme un filtre : ODD " + u.odd.join(", ") + ". ",
        "Chercher ces mots dans le texte", u.mentions.reduce(function (t, m) { return (t + ' "' + m + '"').trim(); }, u.q));
      if (fix) self.note("Résultats approchants de « " + look.filters.q + " ». ", "Vouliez-vous dire « " + fix + " » ?", fix);
      var list = self.box.appendChild(el("ol"));
      result.hits.forEach(function (hit) {
        var item = list.appendChild(el("li", "r")).appendChild(el("article"));
        var link = item.appendChild(el("h3")).appendChild(el("a"));
        fill(link, hit.highlight && hit.highlight.title, hit.title);
        if (/^https?:\/\//i.test(hit.url)) link.href = hit.url;
        if (look.target !== "self") {
          link.target = "_blank";
          link.rel = "noopener noreferrer";
        }
        var t = hit.territory;
        var place = [t.place ? t.place + " (" + t.name + ")" : t.name, t.region].filter(Boolean).join(", ");
        item.appendChild(el("p", "m", place + (hit.year ? " · depuis " + hit.year : "")));
        fill(item.appendChild(el("p", "d")), hit.highlight && hit.highlight.summary, hit.summary);
        var chips = item.appendChild(el("ul", "c"));
        chips.setAttribute("aria-label", "Objectifs de développement durable");
        hit.odd.forEach(function (n) {
          var chip = chips.appendChild(el("li", null, "ODD " + n));
          chip.style.background = "#" + (ODD[n - 1] || "555555");
          if (DARK_TEXT.indexOf(n) >= 0) chip.style.color = "#1a1a1a";
        });
      });
      var pages = Math.ceil(Math.min(result.total, 10000) / result.size);
      if (pages > 1) {
        var nav = self.box.appendChild(el("nav"));
        nav.setAttribute("aria-label", "Pages de résultats");
        [["← Précédentes", -1], ["Suivantes →", 1]].forEach(function (b) {
          var page = self.page + b[1];
          if (page < 1 || page > pages) return;
          nav.appendChild(el("button", null, b[0])).addEventListener("click", function () {
            self.page = page;
            self.load();
          });
        });
        nav.appendChild(el("span", "m", "Page " + self.page + " sur " + pages));
      }
      self.box.appendChild(el("p", "f", "Source : IMPACT-Pratiques, base ouverte des pratiques d'innovation territoriale"));
    }
  }

  customElements.define("impact-pratiques", ImpactPratiques);
})();
