/*! IMPACT-Pratiques widget: plain JavaScript, no framework, no build step; 10116 bytes (3.9 kB gzipped).
 * <script src="https://API/widget.js" defer></script>
 * <impact-pratiques q="tiers-lieux" territory-type="rural" odd="8" size="5"></impact-pratiques>
 * Attributes: q, territory-type, actor-category, odd, region (lists: comma-separated), year-from, year-to,
 * sort, size (10 by default), preset (a saved preset's slug), heading, accent (#RRGGBB), target (blank|self), api (origin).
 * Renders in a Shadow DOM; text is set with textContent only, highlights keep nothing but <mark>. */
(function () {
  "use strict";
  if (!window.customElements || customElements.get("impact-pratiques")) return;
  var script = document.currentScript;
  var ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var LISTS = { "territory-type": "territory_type", "actor-category": "actor_category", odd: "odd", region: "region" };
  var SCALARS = { q: "q", "year-from": "year_from", "year-to": "year_to", sort: "sort", size: "size" };
  var ODD = ("E5243B DDA63A 4C9F38 C5192D FF3A21 26BDE2 FCC30B A21942 FD6925 DD1367 FD9D24 BF8B2E 3F7E44 " +
    "0A97D9 56C02B 00689D 19486A").split(" ");
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
    "border-radius:4px;cursor:pointer}.f{font-size:.75rem;color:#555;margin-top:8px}";

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
      return Object.keys(LISTS).concat(Object.keys(SCALARS), ["preset", "heading", "accent", "target", "api"]);
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

    attributeChangedCallback() {
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

    fetchJson(path) {
      return fetch(this.api() + path, { headers: { Accept: "application/json" } }).then(function (response) {
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

    load() {
      var self = this;
      var seq = ++self.seq;
      self.status("Chargement des pratiques…");
      self.box.setAttribute("aria-busy", "true");
      self.settings().then(function (look) {
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
      }).catch(function () {
        if (seq !== self.seq) return;
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

    render(result, look) {
      var self = this;
      if (/^#?[0-9a-f]{6}$/i.test(look.accent || "")) self.style.setProperty("--a", "#" + look.accent.replace("#", ""));
      self.status(result.total === 0 ? "Aucune pratique ne correspond à cette recherche." :
        result.total + (result.total > 1 ? " pratiques" : " pratique"));
      if (look.title) self.box.insertBefore(el("p", "t", look.title), self.box.firstChild);
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
        var place = [hit.territory.name, hit.territory.region].filter(Boolean).join(", ");
        item.appendChild(el("p", "m", place + (hit.year ? " · depuis " + hit.year : "")));
        fill(item.appendChild(el("p", "d")), hit.highlight && hit.highlight.summary, hit.summary);
        var chips = item.appendChild(el("ul", "c"));
        chips.setAttribute("aria-label", "Objectifs de développement durable");
        hit.odd.forEach(function (n) {
          var chip = chips.appendChild(el("li", null, "ODD " + n));
          chip.style.background = "#" + (ODD[n - 1] || "555555");
          if (n === 7) chip.style.color = "#1a1a1a";
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
