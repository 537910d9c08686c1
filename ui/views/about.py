"""À propos (`/a-propos`): what the service is, legal notice, accessibility, personal data, data licence."""

from __future__ import annotations

import streamlit as st

from ui.components import tab_title
from ui.site_frame import ABOUT_SECTIONS, contact_markdown

TEXTS = {
    "a-propos": (
        "IMPACT-Pratiques rassemble des pratiques d'innovation territoriale qui ont fait leurs preuves : "
        "tiers-lieux, mobilité rurale, alimentation, transition écologique, coopérations économiques… Chaque fiche "
        "est écrite par celles et ceux qui portent la pratique (collectivités, associations, entreprises, "
        "fondations, réseaux), puis relue par une équipe éditoriale avant d'être publiée. Pour proposer une "
        "pratique, demandez une clé de contributeur à l'équipe et rendez-vous sur la page « Contribuer »."
    ),
    "mentions-legales": (
        "Le service est un logiciel libre (licence MIT). L'organisme qui le met en ligne publie ici son nom, "
        "son adresse, le nom du directeur de la publication et celui de l'hébergeur."
    ),
    "accessibilite": (
        "L'interface vise le niveau AA des règles d'accessibilité (WCAG 2.1) : elle est vérifiée automatiquement "
        "(axe-core) à chaque modification, se parcourt au clavier et s'annonce en français aux lecteurs d'écran. "
        "Une vérification automatique ne remplace pas un audit : signalez-nous toute difficulté rencontrée."
    ),
    "donnees-personnelles": (
        "La recherche ne demande aucun compte et ne dépose aucun cookie publicitaire ni de mesure d'audience. "
        "Les fiches peuvent nommer une personne à contacter, avec son accord : elle peut demander à l'équipe "
        "éditoriale de modifier ou retirer ces informations."
    ),
    "licence": (
        "Les fiches publiées sont des données ouvertes, réutilisables librement en citant la source "
        "« IMPACT-Pratiques » (Licence Ouverte / Open Licence 2.0 d'Etalab). Elles se téléchargent en CSV ou "
        "JSON Lines depuis la page « Exporter » et s'interrogent par l'API. Les territoires viennent du "
        "découpage administratif d'Etalab (licence MIT) ; les contours des départements de la carte, de "
        "svg-maps de Victor Cazanave (licence CC BY 4.0)."
    ),
}

# Where each section says how to reach the team, when the site has an address (IMPACT_CONTACT_EMAIL).
CONTACTS = {
    "a-propos": "Pour demander une clé, signaler une erreur dans une fiche ou nous écrire : {contact}.",
    "accessibilite": "Écrivez-nous à {contact}.",
    "donnees-personnelles": "Pour toute demande : {contact}.",
}

tab_title("À propos")
st.title("À propos d'IMPACT-Pratiques", anchor=False)
for anchor, title in ABOUT_SECTIONS:
    st.header(title if anchor != "a-propos" else "Le service", anchor=anchor)
    st.write(TEXTS[anchor])
    if (contact := contact_markdown()) and anchor in CONTACTS:
        st.markdown(CONTACTS[anchor].format(contact=contact))
