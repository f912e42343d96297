"""The generator's vocabulary: plain, common words and names, written for it, and the kinds
of documents it cites (with their Admiralty grading)."""

from __future__ import annotations

from itertools import accumulate

# --- words ------------------------------------------------------------------------------------
# Plain, common words and names, written for this generator.


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = _words(
    "Adam Amine Ana Andrea Bilal Camille Carlos Chloe Dario Driss Elena Emma Farid Fatima "
    "Hugo Ibrahim Ines Ivan Jamal Jonas Julien Karim Kevin Lea Leila Lucas Luca Malik Marco "
    "Maria Mehdi Mohamed Nadia Nicolas Nora Omar Pablo Paul Rachid Rayan Samir Sara Sofia "
    "Sven Theo Tomas Yanis Youssef Zoe Anton Bruno Celine Dylan Enzo Hamza Ilias Jade Kenza "
    "Lina Mateo Milan Nabil Oscar Rania Selim Tarik Victor Walid Yasmine"
)
LAST_NAMES = _words(
    "Alves Amrani Bakker Benali Bernard Bouzid Castro Costa Dubois Fernandes Garcia Girard "
    "Haddad Jansen Kaya Lambert Lopez Martin Mendes Mercier Morel Moreau Navarro Nowak Petit "
    "Rossi Roux Santos Schmidt Silva Tahiri Vidal Yilmaz Ziani Aubert Barbier Brunet Chevalier "
    "Colin Denis Durand Fabre Fontaine Gauthier Guerin Henry Joly Leroy Lucas Marchand Meyer "
    "Muller Noel Perrin Renard Robin Rousseau Simon Vincent Bouchard Cherif Diallo Ferrari "
    "Hoxha Kovac Marino Ortega Peeters Romano Sahin Toure Varga"
)
NICKNAMES = _words(
    "the Fly|the Cat|the Accountant|Tito|Kiki|the Doctor|Shadow|Papa|the Engineer|Little One|"
    "the Professor|Ghost|the Baker|Blondie|the Lawyer|Scarface|the Twin|Prince|the Boss|Moustache",
    "|",
)
NETWORK_WORDS = _words(
    "Black Red North South Old New Silver Iron Blue Grey Eastern Western Little Great Golden "
    "Dark White Green Hidden Lower Upper"
)
NETWORK_NOUNS = _words(
    "Harbour Docks Tower Bridge Market Canal Port Hill Station Garden Quarry Ring Circle Lion "
    "Wolf Falcon Viper Scorpion Anchor Compass Lantern Crown Arrow Forge Mill"
)
NETWORK_KINDS = _words("Clan Crew Network Family Brotherhood Cartel Gang Syndicate Organisation")
ACTIVITIES = _words(
    "drug trafficking|cocaine importation|cannabis resale|arms trafficking|extortion|"
    "money laundering|contraband smuggling into prisons|contract killings|fraud|racketeering",
    "|",
)
STATUSES = _words(
    "convicted drug trafficker|suspected trafficker|awaiting trial|under investigation|"
    "released on parole|convicted of armed robbery|wanted on an international warrant|"
    "convicted of extortion",
    "|",
)
MEMBER_ROLES = ("member", "courier", "enforcer", "recruiter", "supplier contact", "driver")
COUNTRIES = (
    ("France", "French"),
    ("Belgium", "Belgian"),
    ("Netherlands", "Dutch"),
    ("Spain", "Spanish"),
    ("Italy", "Italian"),
    ("Germany", "German"),
    ("Morocco", "Moroccan"),
    ("Algeria", "Algerian"),
    ("Albania", "Albanian"),
    ("Colombia", "Colombian"),
    ("Turkey", "Turkish"),
    ("Portugal", "Portuguese"),
)
PLACE_HEADS = _words(
    "Val Beau Mont Ros Bel Char Clair Font Haut Lor Mar Mor Pont Roche Ver Vil Bruy Cas Dor "
    "Gran Lis Mal Sal Tor"
)
PLACE_TAILS = _words(
    "mont ville court bourg lac mare fort pre lieu champ nay val ac ieres ange briac gny "
    "sac tal dorf"
)
REGION_WORDS = _words("Northern Southern Central Coastal Upper Lower Eastern Western")
FACILITY_KINDS = ("prison", "remand centre", "detention centre", "penitentiary")
METHODS = (
    ("Drones flying parcels over the walls", "smuggling_vector"),
    ("Brought in by relatives during visits", "smuggling_vector"),
    ("Thrown over the perimeter wall", "smuggling_vector"),
    ("Hidden in parcels and deliveries", "smuggling_vector"),
    ("Corrupt prison staff", "smuggling_vector"),
    ("Arson of staff vehicles", "attack_pattern"),
    ("Gunfire at prison gates", "attack_pattern"),
    ("Coordinated riots inside the prison", "attack_pattern"),
    ("Assaults on prison officers", "attack_pattern"),
    ("Threats against staff at their homes", "attack_pattern"),
    ("Ordering attacks from a cell by phone", "criminal_use"),
    ("Running drug sales from inside prison", "criminal_use"),
)
ATTACK_TYPES = (
    ("Arson of vehicles in the car park", 5),
    ("Gunfire at the entrance gate", 6),
    ("Mass disturbance with arson", 7),
    ("Coordinated riot", 7),
    ("Assault on prison officers", 8),
    ("External assault attempt", 6),
)
EVENT_STATUSES = ("Under investigation", "Charges filed", "Closed", "Suspects identified")
DEVICE_WORDS = _words("Nano Micro Pico Mini Pocket Zoom Lite Tiny Stealth Key")
BRAND_HEADS = _words("Opor Zen Vex Kal Tri Lum Nor Qua Sil Dex Bravo Orion Tek Mira Vela")
BRAND_TAILS = _words("tik phone com tel line cell link net mobile wave")
CODEWORDS = _words(
    "Prison Break|Nightfall|Harbour Light|Iron Gate|Clean Sweep|Black Box|Open Door|"
    "Silent Bell|Red Line|Stone Wall|High Tide|Last Call|North Star|Cold Case|Dry Dock",
    "|",
)
OUTLET_FORMS = ("The {city} Herald", "{city} Evening News", "Radio {country}", "{country} Today")
MEASURES = (
    "Jamming of mobile signals in prisons",
    "Body scanners at prison entrances",
    "Anti-drone nets over exercise yards",
    "Transfer of network leaders to high-security wings",
    "Tighter screening of visitors",
    "A national unit against prison-based crime",
)
# Document kinds: (kind, Admiralty reliability, credibility, weight).
DOC_KINDS = (
    ("Police report", "B", 2, 30),
    ("Court judgment", "A", 1, 10),
    ("News article", "C", 3, 30),
    ("Prison administration bulletin", "B", 2, 12),
    ("Intelligence note", "B", 3, 12),
    ("Informant debrief", "E", 4, 6),
)
DOC_CUM = list(accumulate(k[3] for k in DOC_KINDS))
