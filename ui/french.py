"""French for what Streamlit itself writes in English: the page's language and its screen-reader labels.

Streamlit has no setting for either, so one small script, drawn once per run, sets `lang="fr"` and
rewrites Streamlit's own aria-labels, placeholders and a few texts, now and whenever React draws
them again (a MutationObserver). It never reads or writes the text of a page's content.
"""

from __future__ import annotations

import json

import streamlit as st

# Streamlit's exact English → our French, for aria-label, placeholder and title attributes.
ATTRIBUTES = {
    "Skip to main content": "Aller au contenu principal",
    "Link to heading": "Lien vers ce titre",
    "Main menu": "Menu principal",
    "App pages": "Pages du site",
    "Sidebar": "Filtres",
    # On a phone the drawer holds the menu (and, on the search page, the filters, which « Filtres (n) » opens).
    "Expand sidebar": "Ouvrir le menu",
    "Collapse sidebar": "Fermer le menu",
    "Choose an option": "Choisissez une option",
    "Choose options": "Choisissez des options",
    "Select...": "Choisissez…",
    "Selectbox options": "Options",
    "Selected values": "Valeurs choisies",
    "Open": "Ouvrir la liste",
    "Close": "Fermer",
    "Clear all": "Effacer la sélection",
    "Clear value": "Effacer",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    "Notifications": "Notifications",
    "Running...": "Chargement…",
    "Stop script": "Arrêter",
    "Help": "Aide",
    "Markdown content": "Contenu",
    "Navigate to home page": "Aller à la page d'accueil",
    "Pagination": "Pages",
    "Previous page": "Page précédente",
    "Next page": "Page suivante",
    "Dataframe column menu": "Menu de la colonne",
    "Button action menu": "Menu du bouton",
    "Logo": "IMPACT-Pratiques",  # the alt text of st.logo's image
    "Video player": "Lecteur vidéo",
    "Audio player": "Lecteur audio",
}
# Streamlit's own texts (never inside content): the skip link, list options and empty states.
TEXTS = {
    "Skip to main content": "Aller au contenu principal",
    "Select all": "Tout sélectionner",
    "No results": "Aucun résultat",
    "No options to select": "Aucune option",
    "Choose an option": "Choisissez une option",
    "Choose options": "Choisissez des options",
    "Download as CSV": "Télécharger en CSV",
    "Search": "Rechercher",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    # The hint under a text box being typed in (single line, then multi-line with either modifier key).
    "Press Enter to apply": "Appuyez sur Entrée pour valider",
    "Press Enter to submit form": "Appuyez sur Entrée pour envoyer le formulaire",
    "Press ⌘+Enter to apply": "Appuyez sur ⌘+Entrée pour valider",
    "Press Ctrl+Enter to apply": "Appuyez sur Ctrl+Entrée pour valider",
    "Press ⌘+Enter to submit form": "Appuyez sur ⌘+Entrée pour envoyer le formulaire",
    "Press Ctrl+Enter to submit form": "Appuyez sur Ctrl+Entrée pour envoyer le formulaire",
    # Streamlit's notice for an address no page has (it then shows the search page).
    "Page not found": "Page introuvable",
    "The page that you have requested does not seem to exist. Running the app's main page.": (
        "Cette adresse ne correspond à aucune page du site : voici la page d'accueil."
    ),
}
# "Help for <label>" (the ⓘ beside a widget) → "Aide : <label>"; "Remove <option>" (the × of a chosen
# option in a multiselect) → "Retirer <option>".
PREFIXES = {"Help for ": "Aide : ", "Remove ": "Retirer "}
# A range slider's two thumbs: "<label> — start" and "<label> — end".
SUFFIXES = {" — start": " — début", " — end": " — fin"}

_SCRIPT = r"""
<script data-impact-french>
(() => {
  if (window.impactFrench) { window.impactFrench(); return; }
  const doc = window.parent === window ? document : window.parent.document;
  const attributes = %(attributes)s, texts = %(texts)s, prefixes = %(prefixes)s, suffixes = %(suffixes)s;
  // Streamlit copies a widget's Markdown label into its aria-label: the backslashes that keep
  // someone's text literal (ui/text.py) would be read aloud there.
  const markdownEscape = /\\([!-\/:-@\[-`{-~])/g;
  const names = ["aria-label", "placeholder", "title", "alt"];
  // Content (Markdown, HTML blocks, widget labels) is left alone: only Streamlit's chrome is translated.
  const content = "[data-testid=stMarkdownContainer], [data-testid=stHtml], .stMarkdown, [data-testid=stWidgetLabel] p";
  function attribute(element, name) {
    const value = element.getAttribute(name);
    if (value === null) return;
    let french = attributes[value];
    for (const [english, translated] of Object.entries(prefixes)) {
      if (french === undefined && value.startsWith(english)) french = translated + value.slice(english.length);
    }
    for (const [english, translated] of Object.entries(suffixes)) {
      if (french === undefined && value.endsWith(english)) french = value.slice(0, -english.length) + translated;
    }
    if (name === "aria-label") french = (french === undefined ? value : french).replace(markdownEscape, "$1");
    if (french !== undefined && french !== value) element.setAttribute(name, french);
  }
  function text(node) {
    const value = node.nodeValue.trim();
    const french = texts[value];
    if (french === undefined || !node.parentElement || node.parentElement.closest(content)) return;
    node.nodeValue = node.nodeValue.replace(value, french);
  }
  function translate(root) {
    if (root.nodeType === Node.TEXT_NODE) { text(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    for (const name of names) {
      attribute(root, name);
      for (const element of root.querySelectorAll("[" + name + "]")) attribute(element, name);
    }
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) text(node);
  }
  function run() {
    if (doc.documentElement.lang !== "fr") doc.documentElement.lang = "fr";
    translate(doc.body);
  }
  window.impactFrench = run;
  new MutationObserver((changes) => {
    if (doc.documentElement.lang !== "fr") doc.documentElement.lang = "fr";
    for (const change of changes) {
      if (change.type === "attributes") attribute(change.target, change.attributeName);
      else if (change.type === "characterData") text(change.target);
      else for (const node of change.addedNodes) translate(node);
    }
  }).observe(doc.documentElement, {subtree: true, childList: true, characterData: true,
                                   attributes: true, attributeFilter: ["lang", ...names]});
  run();
})();
</script>
"""


def script() -> str:
    """The script, its dictionaries embedded as JSON (our own constants, never user data)."""
    return _SCRIPT % {
        "attributes": json.dumps(ATTRIBUTES, ensure_ascii=False),
        "texts": json.dumps(TEXTS, ensure_ascii=False),
        "prefixes": json.dumps(PREFIXES, ensure_ascii=False),
        "suffixes": json.dumps(SUFFIXES, ensure_ascii=False),
    }


def speak_french() -> None:
    """Draw the script (once per run; it installs its observer once per browser tab)."""
    st.html(script(), unsafe_allow_javascript=True)
