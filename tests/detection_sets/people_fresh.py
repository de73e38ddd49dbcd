"""A second held-out set of names and addresses, written by hand on 2026-12-07 before the fifth round of
tuning (people.py's held-out set had been measured, and its misses seen, so it no longer measures what
the recognisers have not met). New people, new origins, new sentences, new streets, including streets
with no type word and lower-case chat in five languages. `SAMPLES` only: never tuned on."""

from __future__ import annotations

from tests.detection_sets.people import _addresses, _names

NAMES = {
    "spanish": ["Rocío Herrera Campos", "Sergio Iglesias", "Pilar Vázquez Soto", "Raúl Cabrera"],
    "catalan-galician-basque": ["Montserrat Vilanova", "Uxía Otero Piñeiro", "Aitor Zubizarreta", "Pau Ribas Casals"],
    "british-irish": ["Niamh Gallagher", "Rhys Pritchard", "Callum Fraser", "Bridget Doyle"],
    "latin-american": ["Wilmer Huamán", "Yuliana Betancourt", "Edwin Choque", "Mayra Solís"],
    "filipino": ["Rizalino Manalo", "Marites Dimaculangan", "Jun Mendoza", "Lorna Pangilinan"],
    "moroccan": ["Mohamed Ait Benali", "Fatima Zahra El Amrani", "Rachid Ouazzani", "Nawal Chraibi"],
    "romanian": ["Bogdan Ionescu", "Mirela Vasilescu", "Cătălin Munteanu", "Alina Dobre"],
    "chinese": ["Zhang Min", "Wei Chen", "Huang Lei", "Xiaoling Wu"],
    "nigerian": ["Adaeze Obi", "Tunde Bakare", "Ifeoma Chukwu", "Babatunde Ogunleye"],
    "indian-pakistani": ["Anjali Gupta", "Vikram Reddy", "Sana Malik", "Harpreet Kaur"],
    "ukrainian": ["Bohdan Lysenko", "Yuliia Moroz", "Serhii Kravchenko", "Nataliia Hrytsenko"],
    "german-french-italian": ["Wolfgang Schäfer", "Camille Rousseau", "Lorenzo Esposito", "Anneliese Brandt"],
    "polish": ["Katarzyna Wiśniewska", "Paweł Zieliński", "Agnieszka Kowalczyk", "Tomasz Wójcik"],
    "portuguese-brazilian": ["João Pereira", "Thaís Carvalho", "Rui Gonçalves", "Gabriela Nascimento"],
    "west-african": ["Mamadou Diallo", "Aminata Traoré", "Ousmane Ndiaye", "Fatou Sow"],
    "east-asian-other": ["Yuki Tanaka", "Haruto Sato", "Ji-woo Kim", "Minh Nguyen"],
}
NAME_STYLES = {
    "prose": ["I forwarded the draft to {n} this morning.", "Ayer {n} nos confirmó el presupuesto.",
              "Ho parlato con {n} della consegna.", "Wir haben {n} zur Messe eingeladen."],
    "form": ["Name: {n}\nRole: analyst\nOffice: Leeds", "Titular: {n}\nFecha de alta: 12/03/2024",
             "Nom : {n}\nService : comptabilité", "Nome e cognome: {n}\nReparto: acquisti"],
    "chat": ["can you ask {l} to send the deck", "dile a {l} que me llame luego",
             "btw {l} is off sick today", "reunión con {l} a las 5 ok?"],
    "csv": ["employee_id,given_name,family_name\n77,{first},{last}", "{first};{last};Valencia;baja",
            "\"{last}\",\"{first}\",\"finance\"", "nombre,apellidos,ciudad\n{first},{last},Zaragoza"],
    "signature": ["Many thanks,\n{n}\nAccounts Payable", "Saludos cordiales,\n{n}\nDpto. Calidad",
                  "Cordialement,\n{n}", "Mit freundlichen Grüßen\n{n}"],
    "email": ["Hi team,\n\n{n} will cover my tickets next week.", "De: {n}\nAsunto: factura pendiente",
              "---------- Forwarded message ---------\nFrom: {n}\nDate: Mon", "CC: {n}\n\nPlease see the attached."],
    "notes": ["Attendees: {n}, Ops lead, HR partner", "- llamar a {n} por lo del contrato",
              "Owner: {n} | Due: Friday", "Decisions: {n} approves the new supplier."],
    "cv": ["{n}\nSoftware engineer · 5 years", "Referencias: {n}, antigua jefa de equipo",
           "Candidate: {n}\nSkills: SQL, Python", "{n}\nExperiencia profesional"],
}

ADDRESSES = {
    "es": ["Calle del Doctor Fourquet 7", "Avda. de América 35, 28002 Madrid", "Plaza Mayor 1, Salamanca",
           "Ronda de Segovia 50, 2º izq."],
    "ca": ["Carrer del Bruc 21", "Via Augusta 112, Barcelona", "Rambla de Catalunya 64"],
    "gl": ["Rúa do Franco 14, Santiago", "Avenida de Vigo 3, Pontevedra"],
    "eu": ["Iparraguirre kalea 12, Bilbo", "Zumalakarregi hiribidea 3, Donostia", "Txurruka kalea 8"],
    "en_GB": ["72 Victoria Road, Leeds LS6 1DL", "Flat 2, 19 Church Street", "5 Elm Close, Bristol BS8 2QF"],
    "en_US": ["1280 Maple Drive, Columbus, OH 43215", "88 Ocean Blvd Apt 4", "415 Mission St, San Francisco"],
    "de": ["Schillerstraße 12", "Hauptstr. 5, 69117 Heidelberg", "Am Markt 3", "Lindenweg 27a"],
    "fr": ["3 avenue des Ternes", "17, rue du Faubourg Saint-Antoine, Paris", "22 place Bellecour, 69002 Lyon"],
    "it": ["Via dei Mille 15", "Viale Monza 140, Milano", "Piazza Navona 2, Roma"],
    "pt": ["Rua de Santa Catarina 112, Porto", "Travessa do Carmo 4"],
    "nl": ["Herengracht 502", "Oudegracht 158, 3511 AZ Utrecht", "Coolsingel 40, Rotterdam"],
}
ADDRESS_STYLES = {
    "prose": ["Our new office is at {a}.", "Enviad el paquete a {a}, por favor.",
              "La sede si trova in {a}.", "Bitte liefern Sie an {a}."],
    "form": ["Address: {a}\nPostcode check: ok", "Domicilio fiscal: {a}", "Adresse : {a}", "Anschrift: {a}"],
    "chat": ["im at {l} now", "te espero en {l}", "meet me outside {l}?", "deja las llaves en {l}"],
    "csv": ["name,address\nstore 4,\"{a}\"", "14;\"{a}\";abierto", "site,{a}", "id|addr\n3|{a}"],
    "signature": ["Best,\nFacilities\n{a}", "Un saludo,\nOficina central\n{a}", "Grüße\nEmpfang\n{a}",
                  "Regards\nFront desk | {a}"],
    "email": ["Please update my billing address to {a}.", "Re: mudanza\n\nLa nueva dirección es {a}.",
              "> where do I collect it?\nAt {a}, ground floor.", "Nouvelle adresse : {a}"],
    "notes": ["- delivery to {a} confirmed", "Visita técnica: {a} (martes)", "Inspection at {a}: ok",
              "Lieferadresse {a} geprüft"],
    "cv": ["Address\n{a}", "Dirección: {a}", "Indirizzo: {a}", "Wohnort: {a}"],
}

SAMPLES = _names(NAMES, NAME_STYLES) + _addresses(ADDRESSES, ADDRESS_STYLES)
