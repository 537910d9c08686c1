/* « Intégrer sur votre site »: builds the iframe and web component snippets from the form, previews both. */
(function () {
  "use strict";
  var form = document.getElementById("builder");
  var frame = document.getElementById("preview-frame");
  var widgetBox = document.getElementById("preview-widget");
  var origin = location.origin;
  var widgetSrc = new URL(form.dataset.widget, location.href).href;
  // Every facet of the registry (the page lists them): none the form shows may be left out of the snippets.
  var SEARCH = ["q"].concat(form.dataset.facets.split(","), ["year_from", "year_to", "sort", "size"]);
  var THEME = ["accent", "density", "facets", "map", "logo", "title", "target"];
  var WIDGET_ONLY = ["search-box"]; // switches (bare attributes) of the web component; the iframe has no search box
  var DEFAULTS = { sort: "relevance", size: "10", accent: "#19486a", density: "comfortable", facets: "show", target: "blank" };
  var WIDGET_ATTRS = { title: "heading" }; // else the parameter's name with hyphens: territory_type → territory-type
  var timer = null;

  function escapeAttr(text) {
    return String(text).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function values(name) {
    var field = form.elements.namedItem(name);
    if (!field) return [];
    if (field.tagName === "SELECT" && field.multiple) {
      return Array.prototype.filter.call(field.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
    }
    var inputs = field.length !== undefined && field.tagName !== "SELECT" ? Array.prototype.slice.call(field) : [field];
    return inputs.filter(function (input) {
      return (input.type !== "checkbox" && input.type !== "radio") || input.checked;
    }).map(function (input) { return input.value.trim(); }).filter(Boolean);
  }

  function chosen(names) {
    var pairs = [];
    names.forEach(function (name) {
      var list = values(name);
      if (name === "facets" && !list.length) list = ["hide"];
      if (list.length === 1 && DEFAULTS[name] === list[0].toLowerCase()) return;
      list.forEach(function (v) { pairs.push([name, v]); });
    });
    return pairs;
  }

  // Fields the partner's site would be refused (out of bounds, years the wrong way round): named in both snippets'
  // boxes instead of code that fails there.
  function refused() {
    var years = [form.elements.year_from, form.elements.year_to];
    var inverted = years[0].value && years[1].value && Number(years[0].value) > Number(years[1].value);
    years[1].setCustomValidity(inverted ? "L'année de fin précède l'année de début." : "");
    return Array.prototype.filter.call(form.elements, function (field) {
      var wrong = field.willValidate && !field.validity.valid;
      if (wrong) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      return wrong;
    }).map(function (field) {
      var label = form.querySelector('label[for="' + field.id + '"]');
      return "« " + (label ? label.textContent.trim() : field.name) + " » (" + field.validationMessage + ")";
    });
  }

  function update() {
    var wrong = refused();
    if (wrong.length) {
      ["code-iframe", "code-widget"].forEach(function (id) {
        document.getElementById(id).value = "Corrigez d'abord : " + wrong.join(", ") + ".";
      });
      return;
    }
    var preset = values("preset")[0];
    var search = chosen(SEARCH);
    var theme = chosen(THEME);
    var url = origin + (preset ? "/embed/p/" + encodeURIComponent(preset) : "/embed?" + new URLSearchParams(search.concat(theme)));
    if (frame.src !== url) frame.src = url;
    document.getElementById("code-iframe").value =
      '<iframe src="' + escapeAttr(url) + '" title="Pratiques d\'innovation territoriale (IMPACT-Pratiques)"\n' +
      '        loading="lazy" style="width:100%;height:600px;border:0" data-impact-pratiques></iframe>\n' +
      "<script>\n" +
      'window.addEventListener("message", function (e) {\n' +
      '  if (e.origin !== "' + origin + '" || !e.data || e.data.type !== "impact-pratiques:height") return;\n' +
      '  document.querySelectorAll("iframe[data-impact-pratiques]").forEach(function (f) {\n' +
      '    if (f.contentWindow === e.source) f.style.height = e.data.height + "px";\n' +
      "  });\n});\n</script>";
    var attrs = {};
    if (preset) attrs.preset = preset;
    else search.concat(theme, chosen(WIDGET_ONLY)).forEach(function (pair) {
      if (["density", "facets", "map", "logo"].indexOf(pair[0]) >= 0) return; // iframe-only options
      var name = WIDGET_ATTRS[pair[0]] || pair[0].replace(/_/g, "-");
      attrs[name] = attrs[name] ? attrs[name] + "," + pair[1] : pair[1];
    });
    var tag = "<impact-pratiques" + Object.keys(attrs).map(function (name) {
      return " " + name + (WIDGET_ONLY.indexOf(name) >= 0 ? "" : '="' + escapeAttr(attrs[name]) + '"');
    }).join("") + "></impact-pratiques>";
    document.getElementById("code-widget").value = '<script src="' + escapeAttr(widgetSrc) + '" defer></script>\n' + tag;
    var widget = document.createElement("impact-pratiques");
    Object.keys(attrs).forEach(function (name) { widget.setAttribute(name, attrs[name]); });
    widgetBox.replaceChildren(widget);
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  }

  function copy(event) {
    var area = document.getElementById(event.currentTarget.dataset.copy);
    var status = document.getElementById("copy-status");
    function done() { status.textContent = "Code copié."; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(area.value).then(done, function () { area.select(); status.textContent = "Sélectionné : Ctrl+C pour copier."; });
    } else {
      area.select();
      status.textContent = document.execCommand("copy") ? "Code copié." : "Sélectionné : Ctrl+C pour copier.";
    }
  }

  window.addEventListener("message", function (e) {
    if (e.origin === origin && e.source === frame.contentWindow && e.data && e.data.type === "impact-pratiques:height") {
      frame.style.height = Math.max(200, e.data.height) + "px";
    }
  });
  // A search opened from the site (« Intégrer sur votre site » passes its parameters): the form starts from it.
  function fromAddress() {
    new URLSearchParams(location.search).forEach(function (value, name) {
      if (SEARCH.indexOf(name) < 0) return;
      var field = form.elements.namedItem(name);
      if (!field) return;
      if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (o) { if (o.value === value) o.selected = true; });
        return;
      }
      var inputs = field.length !== undefined ? Array.prototype.slice.call(field) : [field];
      inputs.forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") { if (input.value === value) input.checked = true; }
        else input.value = value;
      });
    });
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (b) { b.addEventListener("click", copy); });
  fromAddress();
  update();
})();
