"""Static catalogues of the sample organisation: names, cost centers, hardware models, software,
SaaS apps. Plain data; the generator only ever indexes into these lists.

Publisher and vendor spellings are the messy forms real exports carry; every one of them is a
canonical name or an alias in taxonomy/normalisation.yaml (tests/test_generate.py checks that).
"""
from __future__ import annotations

from dataclasses import dataclass, field

FIRST_NAMES = (
    "anna", "ben", "carla", "david", "eva", "felix", "greta", "hugo", "ines", "jonas", "karin",
    "lars", "marta", "nils", "olga", "pablo", "quinn", "rosa", "sven", "tara", "umut", "vera",
    "willem", "xena", "yusuf", "zoe", "amir", "bianca", "chen", "dana", "emil", "fatima", "goran",
    "hanna", "ivan", "julia", "kofi", "lena", "marco", "nadia", "oscar", "priya", "rafael", "sara",
    "tomas", "ulla", "victor", "wei", "yara", "aleksander", "beatriz", "cem", "daria", "elif",
    "filip", "gabriel", "helena", "isak", "jana", "kai", "laura", "mateo", "noor", "oliver",
    "paula", "ruben", "sofia", "theo", "ursula", "valentin", "wiebke", "alice", "bob", "carol",
    "dave", "erin", "frank", "grace", "heidi", "ivo", "judy", "ken", "lucia", "mila", "nora",
    "otto", "pia", "ravi", "selin", "timo", "uma", "vince", "wanda", "yannick", "zara", "agnes",
    "bruno", "clara", "dirk", "emma", "fenna", "gijs", "hedda", "jasper", "kim", "liam",
)
LAST_NAMES = (
    "smith", "muller", "jansen", "dubois", "rossi", "garcia", "novak", "kowalski", "nielsen",
    "berg", "silva", "martin", "bakker", "schmidt", "fischer", "weber", "meyer", "wagner", "becker",
    "hoffmann", "visser", "devries", "vandijk", "peters", "lambert", "moreau", "laurent", "bernard",
    "ferrari", "romano", "colombo", "ricci", "lopez", "sanchez", "perez", "gomez", "fernandez",
    "ivanova", "petrov", "horvat", "kovacs", "nagy", "szabo", "andersen", "hansen", "larsen",
    "johansson", "karlsson", "lindqvist", "virtanen", "korhonen", "murphy", "kelly", "obrien",
    "walsh", "byrne", "brown", "taylor", "wilson", "evans", "thomas", "roberts", "walker", "wright",
    "green", "hall", "wood", "clarke", "patel", "khan", "singh", "kumar", "sharma", "chen", "wang",
    "li", "zhang", "liu", "yamamoto", "tanaka", "sato", "kim", "park", "lee", "nguyen", "tran",
    "pham", "okafor", "mensah", "diallo", "haddad", "aziz", "yilmaz", "demir", "kaya", "celik",
    "costa", "santos", "pereira", "oliveira", "almeida", "carvalho", "keller", "frei", "huber",
    "gruber", "bauer", "wolf", "koch", "richter", "klein", "schulz", "vogel", "graf", "brandt",
)

# Departments: name, share of staff, cost-center abbreviation used for numbered team centers.
DEPARTMENTS = (
    ("IT", 0.07, "IT"),
    ("Finance", 0.06, "FIN"),
    ("Sales", 0.20, "SALES"),
    ("Engineering", 0.30, "ENG"),
    ("Human Resources", 0.04, "HR"),
    ("Operations", 0.15, "OPS"),
    ("Marketing", 0.08, "MKT"),
    ("Legal", 0.03, "LEGAL"),
    ("Procurement", 0.02, "PROC"),
    ("Customer Support", 0.05, "SUPPORT"),
)
DEPT_INDEX = {d[0]: i for i, d in enumerate(DEPARTMENTS)}

# Cost centers in the order they are created: (code, name, department, owner e-mail, parent).
# The first eight always exist; CC-IT-INFRA and CC-IT-WORKPLACE carry shared IT costs.
BASE_COST_CENTERS = (
    ("CC-IT-INFRA", "IT Infrastructure", "IT", "infra.lead@example.com", None),
    ("CC-IT-WORKPLACE", "IT Workplace Services", "IT", "workplace.lead@example.com", None),
    ("CC-FIN", "Finance", "Finance", "cfo@example.com", None),
    ("CC-SALES", "Sales", "Sales", "sales.head@example.com", None),
    ("CC-ENG", "Engineering", "Engineering", "cto@example.com", None),
    ("CC-HR", "Human Resources", "Human Resources", "hr.head@example.com", None),
    ("CC-OPS", "Operations", "Operations", "coo@example.com", None),
    ("CC-MKT", "Marketing", "Marketing", "cmo@example.com", None),
)
EXTRA_COST_CENTERS = (
    ("CC-LEGAL", "Legal", "Legal", "general.counsel@example.com", None),
    ("CC-PROC", "Procurement", "Procurement", "procurement.lead@example.com", "CC-FIN"),
    ("CC-SUPPORT", "Customer Support", "Customer Support", "support.head@example.com", "CC-OPS"),
    ("CC-ENG-PLATFORM", "Platform Engineering", "Engineering", "platform.head@example.com", "CC-ENG"),
    ("CC-SALES-EMEA", "Sales EMEA", "Sales", "sales.emea.head@example.com", "CC-SALES"),
    ("CC-SALES-NA", "Sales North America", "Sales", "sales.na.head@example.com", "CC-SALES"),
    ("CC-ENG-DATA", "Data Engineering", "Engineering", "data.head@example.com", "CC-ENG"),
    ("CC-IT-SECURITY", "IT Security", "IT", "ciso@example.com", "CC-IT-INFRA"),
    ("CC-MKT-DIGITAL", "Digital Marketing", "Marketing", "digital.head@example.com", "CC-MKT"),
    ("CC-OPS-LOGISTICS", "Logistics", "Operations", "logistics.head@example.com", "CC-OPS"),
    ("CC-SALES-APAC", "Sales APAC", "Sales", "sales.apac.head@example.com", "CC-SALES"),
    ("CC-FIN-CONTROLLING", "Controlling", "Finance", "controlling.head@example.com", "CC-FIN"),
    ("CC-ENG-MOBILE", "Mobile Engineering", "Engineering", "mobile.head@example.com", "CC-ENG"),
    ("CC-HR-RECRUITING", "Recruiting", "Human Resources", "recruiting.head@example.com", "CC-HR"),
    ("CC-ENG-QA", "Quality Assurance", "Engineering", "qa.head@example.com", "CC-ENG"),
    ("CC-OPS-FACILITIES", "Facilities", "Operations", "facilities.head@example.com", "CC-OPS"),
    ("CC-SUPPORT-T2", "Support Tier 2", "Customer Support", "support.t2.head@example.com", "CC-SUPPORT"),
    ("CC-ENG-ML", "Machine Learning", "Engineering", "ml.head@example.com", "CC-ENG"),
    ("CC-SALES-PARTNERS", "Partner Sales", "Sales", "partners.head@example.com", "CC-SALES"),
    ("CC-FIN-TREASURY", "Treasury", "Finance", "treasury.head@example.com", "CC-FIN"),
)
# Beyond the named ones, numbered team cost centers of the largest departments.
NUMBERED_CC_DEPTS = ("Engineering", "Sales", "Operations", "Customer Support", "Marketing")

OFFICES = ("Amsterdam HQ", "London", "Berlin", "Paris", "New York", "Zurich", "Madrid", "Remote")
OFFICE_WEIGHTS = (0.35, 0.15, 0.12, 0.08, 0.10, 0.05, 0.05, 0.10)
DATACENTERS = ("DC-AMS-01", "DC-FRA-02")
LOCATIONS = OFFICES + DATACENTERS
# Purchase currency by location (everything else EUR).
LOCATION_CURRENCY = {"London": "GBP", "New York": "USD", "Zurich": "CHF"}
CURRENCIES = ("EUR", "USD", "GBP", "CHF")
# Rates to EUR (mirror taxonomy/policies.yaml; prices keep clear of the capitalisation threshold
# so a small change of rate never flips a decision). (currency, from_month 'YYYY-MM', rate)
FX_TO_EUR = {"EUR": ((("2000-01"), 1.0),), "USD": (("2000-01", 0.92), ("2026-07", 0.90)),
             "GBP": (("2000-01", 1.17),), "CHF": (("2000-01", 1.04),)}

CLASSES = ("laptop", "desktop", "server", "network", "mobile", "printer", "cloud", "widget")
LAPTOP, DESKTOP, SERVER, NETWORK, MOBILE, PRINTER, CLOUD, WIDGET = range(8)
# Share of the live fleet and minimum count (so tiny samples still have every kind).
CLASS_SHARES = (0.60, 0.18, 0.10, 0.03, 0.05, 0.02, 0.02)
CLASS_MIN = (6, 3, 2, 2, 2, 2, 2)
HOST_PREFIX = ("LAP-", "DSK-", "SRV-", "NET-", "MOB-", "PRN-", "ip-", "WGT-")
CAPITALISED_CLASSES = (LAPTOP, DESKTOP, SERVER, NETWORK, PRINTER)
USEFUL_LIFE = (36, 48, 60, 60, 24, 60, 0, 0)
# Issue 13: a fleet renewed on its classes' refresh cycles (taxonomy refresh_cycle_months): live
# devices were bought within their class's cycle (months, by class), a few stragglers up to 15 %
# longer; warranties (months) run to the cycle for end-user devices and servers, shorter for network
# gear, mobiles and printers (their extension is the extend_or_replace decision).
ORDER_SPAN_MONTHS = (48, 60, 60, 84, 36, 72, 33, 20)
STRAGGLER_SHARE = 0.05
WARRANTY_MONTHS = (48, 60, 60, 60, 24, 60, 0, 0)

# Manufacturers: canonical key, display variants as exports write them, MAC OUI prefix,
# serial pattern (fixed prefix, random chars before the index part). Serial = prefix + random
# + 5 base-36 digits of the device index: unique per manufacturer, and the fixed prefix/length
# keeps manufacturers apart.
@dataclass(frozen=True)
class Manufacturer:
    key: str
    display: tuple[str, ...]
    vendor: tuple[str, ...]  # how procurement writes the supplier
    oui: tuple[int, int, int]
    serial_prefix: str
    serial_random: int


MANUFACTURERS = (
    Manufacturer("Dell", ("Dell Inc.", "Dell", "Dell Technologies"), ("Dell Inc.", "Dell Technologies", "Dell"),
                 (0x18, 0x66, 0xDA), "", 2),
    Manufacturer("Lenovo", ("LENOVO", "Lenovo", "Lenovo Group"), ("Lenovo Group", "LENOVO", "Lenovo"),
                 (0x54, 0xE1, 0xAD), "PF", 1),
    Manufacturer("HP", ("HP", "HP Inc.", "Hewlett-Packard"), ("HP Inc.", "Hewlett-Packard", "HP"),
                 (0x3C, 0xD9, 0x2B), "5CG", 2),
    Manufacturer("HPE", ("HPE", "Hewlett Packard Enterprise"), ("Hewlett Packard Enterprise", "HPE"),
                 (0x94, 0x18, 0x82), "CZJ", 2),
    Manufacturer("Apple", ("Apple Inc.", "Apple"), ("Apple Inc.", "Apple Computer"),
                 (0xA4, 0x83, 0xE7), "C02", 4),
    Manufacturer("Cisco", ("Cisco Systems, Inc.", "Cisco"), ("Cisco Systems, Inc.", "Cisco Systems"),
                 (0x00, 0x1B, 0x54), "FOC", 3),
    Manufacturer("Juniper", ("Juniper Networks", "Juniper Networks, Inc."), ("Juniper Networks",),
                 (0x28, 0x8A, 0x1C), "JN", 5),
    Manufacturer("Samsung", ("Samsung", "Samsung Electronics"), ("Samsung Electronics",),
                 (0x8C, 0x71, 0xF8), "R5C", 3),
    Manufacturer("Google", ("Google", "Google LLC"), ("Google LLC",), (0x3C, 0x28, 0x6D), "GA", 4),
    Manufacturer("Amazon", ("Amazon Web Services",), ("Amazon Web Services EMEA SARL",),
                 (0x02, 0x4A, 0x3F), "", 0),
    Manufacturer("Acme", ("Acme Gadgets Ltd", "Acme Gadgets"), ("Acme Gadgets Ltd",),
                 (0x00, 0x50, 0xC2), "ACM", 2),
    # issue 13: virtual machines (VMware's OUI 00:50:56); never bought, so no supplier spelling is used
    Manufacturer("VMware", ("VMware, Inc.", "VMware"), ("VMware, Inc.",), (0x00, 0x50, 0x56), "VMW", 4),
)
MFR_INDEX = {m.key: i for i, m in enumerate(MANUFACTURERS)}
RESELLERS = ("CDW", "Insight Enterprises", "SHI International", "Bechtle AG")

# OS families decide which software a device runs.
WIN, MAC, WIN_SRV, LINUX, IOS, ANDROID, NONE = range(7)


@dataclass(frozen=True)
class Model:
    cls: int
    mfr: str
    name: str
    desc: str
    price_lo: float  # EUR
    price_hi: float
    weight: float
    os_family: int = NONE
    hourly_usd: float = 0.0  # cloud instance types
    ci_classes: tuple[str, ...] = ()  # CMDB ci_class spellings for this model


MODELS = (
    # laptops
    Model(LAPTOP, "Dell", "Latitude 5440", 'Latitude 5440 14", i5, 16GB RAM, 512GB SSD', 1180, 1450, 0.22, WIN),
    Model(LAPTOP, "Dell", "Latitude 7440", 'Latitude 7440 14", i7, 32GB RAM, 1TB SSD', 1550, 1950, 0.10, WIN),
    Model(LAPTOP, "Dell", "Latitude 3540", 'Latitude 3540 15.6", i5, 8GB RAM, 256GB SSD', 690, 880, 0.08, WIN),
    Model(LAPTOP, "Lenovo", "ThinkPad T14 Gen 4", 'ThinkPad T14 Gen 4 14", Ryzen 7, 16GB', 1200, 1500, 0.18, WIN),
    Model(LAPTOP, "Lenovo", "ThinkPad X1 Carbon Gen 11", "ThinkPad X1 Carbon Gen 11, i7, 32GB", 1850, 2300, 0.07, WIN),
    Model(LAPTOP, "HP", "EliteBook 840 G10", 'EliteBook 840 G10 14", i5, 16GB', 1250, 1550, 0.14, WIN),
    Model(LAPTOP, "HP", "ProBook 450 G10", 'ProBook 450 G10 15.6", i5, 8GB', 720, 890, 0.06, WIN),
    Model(LAPTOP, "Apple", "MacBook Pro 14", 'MacBook Pro 14" M3 Pro, 18GB, 512GB', 2200, 2800, 0.15, MAC),
    # desktops
    Model(DESKTOP, "Dell", "OptiPlex 7010", "OptiPlex 7010 Micro, i5, 16GB", 650, 880, 0.35, WIN),
    Model(DESKTOP, "Dell", "Precision Tower 3680", "Precision Tower 3680, i9, 64GB, RTX A2000", 1600, 2400, 0.10, WIN),
    Model(DESKTOP, "Lenovo", "ThinkCentre M70q Gen 4", "ThinkCentre M70q Gen 4 Tiny, i5, 16GB", 600, 850, 0.30, WIN),
    Model(DESKTOP, "Lenovo", "ThinkCentre M90t Gen 4", "ThinkCentre M90t Gen 4 Tower, i7, 32GB", 1200, 1450, 0.10, WIN),
    Model(DESKTOP, "HP", "EliteDesk 800 G9", "EliteDesk 800 G9 SFF, i5, 16GB", 700, 890, 0.10, WIN),
    Model(DESKTOP, "Apple", "iMac 24", 'iMac 24" M3, 16GB, 512GB', 1550, 1900, 0.05, MAC),
    # servers
    Model(SERVER, "Dell", "PowerEdge R650", "PowerEdge R650 1U, 2x Xeon Gold, 256GB", 6000, 10000, 0.30),
    Model(SERVER, "Dell", "PowerEdge R750", "PowerEdge R750 2U, 2x Xeon Gold, 512GB", 8000, 15000, 0.25),
    Model(SERVER, "HPE", "ProLiant DL360 Gen11", "ProLiant DL360 Gen11 1U, 2x Xeon, 256GB", 6500, 11000, 0.25),
    Model(SERVER, "HPE", "ProLiant DL380 Gen10 Plus", "ProLiant DL380 Gen10 Plus 2U, 2x Xeon, 384GB", 7000, 14000, 0.20),
    # network
    Model(NETWORK, "Cisco", "Catalyst 9300-48P", "Catalyst 9300 48-port PoE+ switch", 4500, 7500, 0.35, ci_classes=("network", "switch")),
    Model(NETWORK, "Cisco", "Catalyst 9200L-24P", "Catalyst 9200L 24-port PoE+ switch", 1600, 2900, 0.30, ci_classes=("network", "switch")),
    Model(NETWORK, "Juniper", "EX2300-48P", "EX2300 48-port switch", 1400, 2600, 0.20, ci_classes=("network", "switch")),
    Model(NETWORK, "Juniper", "SRX340", "SRX340 services gateway (firewall)", 2600, 4000, 0.15, ci_classes=("network", "firewall")),
    # mobile
    Model(MOBILE, "Apple", "iPhone 15", "iPhone 15 128GB", 780, 950, 0.40, IOS),
    Model(MOBILE, "Apple", "iPhone 15 Pro", "iPhone 15 Pro 256GB", 1180, 1350, 0.15, IOS),
    Model(MOBILE, "Samsung", "Galaxy S23", "Galaxy S23 128GB", 650, 880, 0.30, ANDROID),
    Model(MOBILE, "Google", "Pixel 8", "Pixel 8 128GB", 600, 800, 0.15, ANDROID),
    # printers
    Model(PRINTER, "HP", "LaserJet Enterprise M611dn", "LaserJet Enterprise M611dn mono laser", 550, 880, 0.60),
    Model(PRINTER, "HP", "Color LaserJet Enterprise M555dn", "Color LaserJet Enterprise M555dn", 1200, 1500, 0.40),
    # cloud instance types
    Model(CLOUD, "Amazon", "m6i.large", "EC2 m6i.large", 0, 0, 0.35, LINUX, 0.096),
    Model(CLOUD, "Amazon", "m6i.xlarge", "EC2 m6i.xlarge", 0, 0, 0.25, LINUX, 0.192),
    Model(CLOUD, "Amazon", "t3.medium", "EC2 t3.medium", 0, 0, 0.20, LINUX, 0.0416),
    Model(CLOUD, "Amazon", "r6i.2xlarge", "EC2 r6i.2xlarge", 0, 0, 0.12, LINUX, 0.504),
    Model(CLOUD, "Amazon", "c6i.4xlarge", "EC2 c6i.4xlarge", 0, 0, 0.08, WIN_SRV, 0.68),
    # things no classification rule knows
    Model(WIDGET, "Acme", "Gizmo 3000", "Gizmo 3000 smart display", 400, 600, 1.0),
    # issue 13: the virtual machine model (weight 0: given to VMs explicitly, never drawn)
    Model(SERVER, "VMware", "VMware Virtual Platform", "VMware virtual machine", 0, 0, 0.0),
)
# Issue 13: server CIs like a real estate (docs/sample-data.md): about 70% of live servers are
# virtual machines, each running on one of the physical virtualisation hosts (the rest); VMs have
# virtual cores, hosts many physical cores and no database software of their own.
VM_MODEL = "VMware Virtual Platform"
VM_SHARE = 0.70
VM_CORES = (2, 4, 4, 8)
HOST_CORES = (32, 48, 64)
CLOUD_CORES = {"m6i.large": 2, "m6i.xlarge": 4, "t3.medium": 2, "r6i.2xlarge": 8, "c6i.4xlarge": 16}
# For planted model drift: the model discovery reports instead (same class, other maker).
DRIFT_MODEL = {"Dell": "ThinkPad T14 Gen 4", "Lenovo": "EliteBook 840 G10", "HP": "Latitude 5440",
               "Apple": "Latitude 7440"}

# Operating systems: (family, os_name, os_version, weight)
# Windows 11 24H2 is the mainstream build; 23H2 and Windows 10 are the stragglers the refresh
# plan flags (their end-of-life dates are in EOL_CYCLES below).
OPERATING_SYSTEMS = (
    (WIN, "Windows 11 Enterprise", "10.0.26100", 0.62),
    (WIN, "Windows 11 Pro", "10.0.22631", 0.06),
    (WIN, "Windows 10 Pro", "10.0.19045", 0.14),
    (WIN, "Windows 10 Enterprise", "10.0.19045", 0.08),
    (WIN, "Windows 11 Enterprise", "10.0.22631", 0.10),
    (MAC, "macOS 14", "14.6.1", 0.6),
    (MAC, "macOS 15", "15.0.1", 0.4),
    (WIN_SRV, "Windows Server 2022 Standard", "10.0.20348", 0.45),
    (WIN_SRV, "Windows Server 2019 Standard", "10.0.17763", 0.20),
    (WIN_SRV, "Windows Server 2022 Datacenter", "10.0.20348", 0.35),
    (LINUX, "Red Hat Enterprise Linux", "9.4", 0.45),
    (LINUX, "Ubuntu", "22.04", 0.35),
    (LINUX, "Amazon Linux", "2023", 0.20),
    (IOS, "iOS", "17.6.1", 0.5),
    (IOS, "iOS", "18.0", 0.5),
    (ANDROID, "Android", "14", 1.0),
)

# End-of-life reference data (reference/eol_cycles, the endoflife.date extension): the release
# cycles of the operating systems and models above and their neighbours, as endoflife.date
# publishes them (dates copied from its product files). Each export carries the cycles released
# by its date. macOS 14 is the one published as `eol: true` without a date: Apple never announces
# an end date, and the cycle is flagged once macOS 27 ships (`false` before).
@dataclass(frozen=True)
class EolCycle:
    product: str  # endoflife.date product id
    cycle: str  # releaseCycle
    release: str  # ISO date
    eol: str | bool  # ISO date, or the flag true/false when no date is published
    support_end: str | None = None  # end of active support (eoas)
    latest: str | None = None
    lts: bool | None = None
    eol_true_from: str | None = None  # published `eol: false` before this date, `true` from it


EOL_CYCLES = (
    EolCycle("windows", "11-26h1-e", "2026-02-10", "2029-03-13", "2029-03-13", "10.0.28000"),
    EolCycle("windows", "11-26h1-w", "2026-02-10", "2028-03-14", "2028-03-14", "10.0.28000"),
    EolCycle("windows", "11-25h2-e", "2025-09-30", "2028-10-10", "2028-10-10", "10.0.26200"),
    EolCycle("windows", "11-25h2-w", "2025-09-30", "2027-10-12", "2027-10-12", "10.0.26200"),
    EolCycle("windows", "11-24h2-e", "2024-10-01", "2027-10-12", "2027-10-12", "10.0.26100"),
    EolCycle("windows", "11-24h2-w", "2024-10-01", "2026-10-13", "2026-10-13", "10.0.26100"),
    EolCycle("windows", "11-23h2-e", "2023-10-31", "2026-11-10", "2026-11-10", "10.0.22631"),
    EolCycle("windows", "11-23h2-w", "2023-10-31", "2025-11-11", "2025-11-11", "10.0.22631"),
    EolCycle("windows", "11-22h2-e", "2022-09-20", "2025-10-14", "2025-10-14", "10.0.22621"),
    EolCycle("windows", "11-22h2-w", "2022-09-20", "2024-10-08", "2024-10-08", "10.0.22621"),
    EolCycle("windows", "10-22h2", "2022-10-18", "2025-10-14", "2025-10-14", "10.0.19045"),
    EolCycle("windows", "10-21h2-e-lts", "2021-11-16", "2027-01-12", "2027-01-12", "10.0.19044", True),
    EolCycle("windows", "10-21h2-e", "2021-11-16", "2024-06-11", "2024-06-11", "10.0.19044"),
    EolCycle("windows", "10-21h2-w", "2021-11-16", "2023-06-13", "2023-06-13", "10.0.19044"),
    EolCycle("windows-server", "2025", "2024-11-01", "2034-11-14", "2029-11-13", "10.0.26100", True),
    EolCycle("windows-server", "2022", "2021-08-18", "2031-10-14", "2026-10-13", "10.0.20348", True),
    EolCycle("windows-server", "2019", "2018-11-13", "2029-01-09", "2024-01-09", "10.0.17763", True),
    EolCycle("windows-server", "2016", "2016-10-15", "2027-01-12", "2022-01-11", "10.0.14393", True),
    EolCycle("macos", "26", "2025-09-15", False, None, "26.6.2"),
    EolCycle("macos", "15", "2024-09-16", False, None, "15.7.9"),
    EolCycle("macos", "14", "2023-09-26", False, None, "14.8.9", eol_true_from="2026-09-15"),
    EolCycle("macos", "13", "2022-10-24", "2025-09-15", None, "13.7.8"),
    EolCycle("macos", "12", "2021-10-25", "2024-09-16", None, "12.7.6"),
    EolCycle("ubuntu", "26.04", "2026-04-23", "2031-04-30", "2031-04-30", "26.04", True),
    EolCycle("ubuntu", "24.04", "2024-04-25", "2029-05-31", "2029-05-31", "24.04.4", True),
    EolCycle("ubuntu", "22.04", "2022-04-21", "2027-04-01", "2024-09-30", "22.04.5", True),
    EolCycle("ubuntu", "20.04", "2020-04-23", "2025-05-31", "2022-10-01", "20.04.6", True),
    EolCycle("rhel", "10", "2025-05-20", "2035-05-31", "2030-05-31", "10.2"),
    EolCycle("rhel", "9", "2022-05-18", "2032-05-31", "2027-05-31", "9.8"),
    EolCycle("rhel", "8", "2019-05-07", "2029-05-31", "2024-05-31", "8.10"),
    EolCycle("iphone", "17", "2025-09-19", False),
    EolCycle("iphone", "16", "2024-09-20", False),
    EolCycle("iphone", "16-pro", "2024-09-20", False),
    EolCycle("iphone", "15", "2023-09-22", False),
    EolCycle("iphone", "15-plus", "2023-09-22", False),
    EolCycle("iphone", "15-pro", "2023-09-22", False),
    EolCycle("iphone", "15-pro-max", "2023-09-22", False),
    EolCycle("iphone", "14", "2022-09-16", False),
)
# Which cycle each generated OS is, as taxonomy/normalisation.yaml eol_products reads
# "<os_name> <os_version>": (os_name, os_version) -> (product, cycle, cycle when the agent leaves
# os_version blank). OSes without an endoflife.date rule (Amazon Linux, iOS, Android) are absent.
# tests/test_generate.py checks this table against the shipped rules.
EOL_OF_OS = {
    ("Windows 11 Enterprise", "10.0.26100"): ("windows", "11-24h2-e", None),
    ("Windows 11 Pro", "10.0.22631"): ("windows", "11-23h2-w", None),
    ("Windows 10 Pro", "10.0.19045"): ("windows", "10-22h2", "10-22h2"),
    ("Windows 10 Enterprise", "10.0.19045"): ("windows", "10-22h2", "10-22h2"),
    ("Windows 11 Enterprise", "10.0.22631"): ("windows", "11-23h2-e", None),
    ("macOS 14", "14.6.1"): ("macos", "14", "14"),
    ("macOS 15", "15.0.1"): ("macos", "15", "15"),
    ("Windows Server 2022 Standard", "10.0.20348"): ("windows-server", "2022", "2022"),
    ("Windows Server 2019 Standard", "10.0.17763"): ("windows-server", "2019", "2019"),
    ("Windows Server 2022 Datacenter", "10.0.20348"): ("windows-server", "2022", "2022"),
    ("Red Hat Enterprise Linux", "9.4"): ("rhel", "9", None),
    ("Ubuntu", "22.04"): ("ubuntu", "22.04", None),
}
# The same for "<manufacturer> <model>" (the model basis).
EOL_OF_MODEL = {"iPhone 15": ("iphone", "15"), "iPhone 15 Pro": ("iphone", "15-pro")}
# The refresh plan's end-of-life horizon (mirrors taxonomy/policies.yaml eol_horizon_months), used
# only to list the expected cases in the manifest.
EOL_HORIZON_MONTHS = 6

BUSINESS_SERVICES = ("ERP", "CRM", "Data Warehouse", "E-mail", "HR Portal", "E-commerce",
                     "CI/CD", "File Services", "Identity", "Monitoring")
OWNER_GROUPS = {LAPTOP: "Workplace Services", DESKTOP: "Workplace Services", MOBILE: "Workplace Services",
                PRINTER: "Workplace Services", SERVER: "Infrastructure", NETWORK: "Network Operations",
                CLOUD: "Cloud Platform", WIDGET: "Facilities"}


@dataclass(frozen=True)
class Software:
    key: str
    publishers: tuple[str, ...]  # display spellings (canonical or taxonomy aliases)
    names: tuple[str, ...]  # install names (canonical product or its aliases)
    versions: tuple[str, ...]
    families: tuple[int, ...]  # OS families it installs on
    rates: dict = field(default_factory=dict)  # department -> share of devices; "*" default
    metric: str | None = None  # license metric when licensed
    product: str | None = None  # licensable product name (entitlements)
    publisher: str | None = None  # canonical publisher
    factor: float = 1.0  # coverage ratio: entitlements bought / consumption at each purchase
    unit_cost: float = 0.0  # EUR per unit (annual per seat for subscriptions)
    unauthorised: bool = False


MS = ("Microsoft Corporation", "Microsoft Corp.", "MSFT", "Microsoft Corp", "Microsoft")
ADOBE = ("Adobe Inc.", "Adobe Systems", "Adobe Systems Incorporated", "Adobe")
EUD = (WIN, MAC)

SOFTWARE = (
    # licensed
    Software("m365", MS, ("Microsoft 365 Apps for enterprise", "Microsoft 365 Apps", "Office 365 ProPlus",
                          "Microsoft Office 365 ProPlus"), ("16.0.17928.20156", "16.0.18025.20104"),
             EUD, {"*": 0.95}, "subscription", "Microsoft 365 Apps for enterprise", "Microsoft", 1.15, 264.0),
    Software("visio", MS, ("Microsoft Visio Professional", "Visio Professional", "Visio Plan 2"),
             ("16.0.17928.20156",), (WIN,), {"*": 0.05, "IT": 0.25, "Engineering": 0.10},
             "device", "Visio Professional", "Microsoft", 0.90, 590.0),
    Software("project", MS, ("Microsoft Project Professional", "Project Professional"), ("16.0.17928.20156",),
             (WIN,), {"*": 0.03, "IT": 0.15, "Operations": 0.08}, "device", "Project Professional",
             "Microsoft", 1.25, 1150.0),
    Software("sqlserver", MS, ("SQL Server 2022 Enterprise", "SQL Server 2019 Enterprise",
                               "Microsoft SQL Server Enterprise"), ("16.0.4135.4", "15.0.4385.2"),
             (WIN_SRV,), {"*": 0.30}, "core", "SQL Server Enterprise", "Microsoft", 0.92, 6900.0),
    Software("acrobat", ADOBE, ("Adobe Acrobat Pro DC", "Adobe Acrobat Pro", "Acrobat Pro DC"),
             ("24.003.20112", "23.008.20470"), EUD,
             {"*": 0.06, "Legal": 0.6, "Finance": 0.35, "Procurement": 0.4}, "device", "Acrobat Pro",
             "Adobe", 0.93, 420.0),
    Software("cc", ADOBE, ("Adobe Creative Cloud", "Creative Cloud All Apps"), ("6.4.0.361",), EUD,
             {"*": 0.01, "Marketing": 0.45}, "subscription", "Creative Cloud", "Adobe", 0.95, 1020.0),
    Software("intellij", ("JetBrains s.r.o.", "JetBrains"), ("IntelliJ IDEA Ultimate",), ("2024.2.1", "2024.3"),
             EUD, {"*": 0.0, "Engineering": 0.35}, "user", "IntelliJ IDEA Ultimate", "JetBrains", 1.20, 599.0),
    Software("oracle_db", ("Oracle Corporation", "Oracle America", "Oracle"),
             ("Oracle Database Enterprise Edition",), ("19.22.0.0.0", "21.3.0.0.0"), (LINUX,), {"*": 0.12},
             "core", "Oracle Database Enterprise Edition", "Oracle", 1.15, 21000.0),
    # free / bundled
    Software("chrome", ("Google LLC", "Google Inc.", "Google"), ("Google Chrome",), ("128.0.6613.120", "129.0.6668.90"),
             EUD, {"*": 0.85}),
    Software("firefox", ("Mozilla Corporation", "Mozilla"), ("Mozilla Firefox (x64 en-US)",), ("130.0", "131.0.2"),
             EUD, {"*": 0.25, "Engineering": 0.5}),
    Software("7zip", ("Igor Pavlov",), ("7-Zip 23.01 (x64)",), ("23.01",), (WIN,), {"*": 0.45}),
    Software("npp", ("Notepad++ Team",), ("Notepad++ (64-bit x64)",), ("8.6.9",), (WIN,), {"*": 0.25}),
    Software("vlc", ("VideoLAN",), ("VLC media player",), ("3.0.21",), EUD, {"*": 0.15}),
    Software("zoomclient", ("Zoom Video Communications, Inc.", "Zoom Video Communications"), ("Zoom Workplace",),
             ("6.2.5",), EUD, {"*": 0.55}),
    Software("teams", MS, ("Microsoft Teams",), ("24243.1309.3132.617",), EUD, {"*": 0.9}),
    Software("edge", MS, ("Microsoft Edge",), ("128.0.2739.79",), (WIN,), {"*": 1.0}),
    Software("reader", ADOBE, ("Adobe Acrobat Reader DC",), ("24.003.20112",), EUD, {"*": 0.5}),
    Software("falcon", ("CrowdStrike, Inc.", "CrowdStrike"), ("CrowdStrike Falcon Sensor",), ("7.16.18613",),
             (WIN, MAC, WIN_SRV, LINUX), {"*": 0.98}),
    Software("vscode", MS, ("Microsoft Visual Studio Code",), ("1.93.1",), EUD,
             {"*": 0.04, "Engineering": 0.7, "IT": 0.5}),
    Software("git", ("The Git Development Community",), ("Git",), ("2.46.0",), EUD,
             {"*": 0.0, "Engineering": 0.6, "IT": 0.3}),
    Software("python", ("Python Software Foundation",), ("Python 3.12.4 (64-bit)",), ("3.12.4150.0",), EUD,
             {"*": 0.01, "Engineering": 0.5}),
    Software("docker", ("Docker Inc.",), ("Docker Desktop",), ("4.34.2",), EUD, {"*": 0.0, "Engineering": 0.3}),
    Software("slackclient", ("Slack Technologies LLC", "Slack Technologies"), ("Slack",), ("4.40.126",), EUD,
             {"*": 0.4, "Engineering": 0.85}),
    Software("java", ("Oracle Corporation", "Oracle America"), ("Java 8 Update 421",), ("8.0.4210.9",), EUD,
             {"*": 0.12}),
    Software("vmtools", ("VMware Inc.", "VMware by Broadcom", "Broadcom"), ("VMware Tools",), ("12.4.5",),
             (WIN_SRV, LINUX), {"*": 0.8}),
    Software("openssh", ("OpenBSD Project",), ("OpenSSH server",), ("8.7p1",), (LINUX,), {"*": 1.0}),
    # unauthorised (planted only)
    Software("utorrent", ("BitTorrent Inc.", "BitTorrent, Inc."), ("uTorrent",), ("3.6.0.47084",), EUD, {},
             unauthorised=True),
    Software("teamviewer", ("TeamViewer Germany GmbH", "TeamViewer GmbH"), ("TeamViewer 15", "TeamViewer"),
             ("15.57.5",), EUD, {}, unauthorised=True),
)
SOFTWARE_INDEX = {s.key: i for i, s in enumerate(SOFTWARE)}


@dataclass(frozen=True)
class SaasApp:
    name: str
    vendors: tuple[str, ...]
    rates: dict
    annual_price: float | None  # per seat, in `currency`; None = bundled, no entitlement
    currency: str = "EUR"
    factor: float = 1.0  # coverage ratio: seats bought / seats assigned at each purchase
    publisher: str | None = None  # canonical publisher of the entitlement
    entitlement_product: str | None = None  # when the entitlement is a software subscription


SAAS_APPS = (
    SaasApp("Zoom", ("Zoom Video Communications Inc.", "Zoom Video Communications", "Zoom"), {"*": 0.55},
            149.90, "USD", 1.10, "Zoom"),
    SaasApp("Microsoft Teams", ("Microsoft Corporation", "Microsoft"), {"*": 0.95}, None),
    SaasApp("Webex", ("Cisco Systems", "Cisco Systems, Inc."), {"*": 0.10, "Sales": 0.30}, 144.00, "EUR", 1.25, "Cisco"),
    SaasApp("Slack", ("Slack Technologies LLC", "Slack Technologies", "Slack"), {"*": 0.40, "Engineering": 0.90},
            87.50, "USD", 1.05, "Slack"),
    SaasApp("Asana", ("Asana, Inc.", "Asana"), {"*": 0.05, "Marketing": 0.50, "Operations": 0.20},
            131.88, "USD", 1.20, "Asana"),
    SaasApp("Trello", ("Atlassian Pty Ltd", "Atlassian Corporation"), {"*": 0.06}, 60.00, "USD", 1.00, "Atlassian"),
    SaasApp("Jira", ("Atlassian Corporation", "Atlassian Pty Ltd", "Atlassian"),
            {"*": 0.06, "Engineering": 0.95, "IT": 0.80}, 97.00, "USD", 1.08, "Atlassian"),
    SaasApp("Salesforce", ("salesforce.com", "Salesforce Inc.", "Salesforce"),
            {"*": 0.02, "Sales": 0.92, "Customer Support": 0.50}, 1980.00, "EUR", 0.97, "Salesforce"),
    SaasApp("Dropbox", ("Dropbox, Inc.", "Dropbox"), {"*": 0.08}, 180.00, "EUR", 1.20, "Dropbox"),
    SaasApp("Box", ("Box, Inc.", "Box"), {"*": 0.12}, 240.00, "EUR", 1.10, "Box"),
    SaasApp("Figma", ("Figma, Inc.", "Figma"), {"*": 0.02, "Engineering": 0.20, "Marketing": 0.40},
            540.00, "USD", 0.95, "Figma"),
    SaasApp("Miro", ("Miro", "Miro Inc."), {"*": 0.10}, 120.00, "EUR", 1.25, "Miro"),
    SaasApp("DocuSign", ("DocuSign, Inc.", "DocuSign"),
            {"*": 0.02, "Legal": 0.80, "Sales": 0.25, "Finance": 0.30, "Procurement": 0.50},
            300.00, "USD", 1.15, "DocuSign"),
    # The seat feed of a software subscription: consumption of the Creative Cloud entitlement.
    SaasApp("Adobe Creative Cloud", ("Adobe Inc.", "Adobe Systems"), {"*": 0.01, "Marketing": 0.45},
            None, entitlement_product="Creative Cloud"),
)
EXPIRED_SAAS = "Trello"  # its only subscription ended before the last export and was not renewed

# Recurring IT costs booked straight to the GL (per month, EUR per 1,000 devices).
SERVICE_COSTS = (
    # (category, gl_account, cost_center, vendor, description, eur_per_1000_devices, currency)
    ("services", "6500", "CC-IT-WORKPLACE", "Atos IT Solutions", "Managed service desk", 18000.0, "EUR"),
    ("services", "6500", "CC-IT-INFRA", "Equinix (Netherlands) B.V.", "Data centre colocation", 9500.0, "EUR"),
    ("services", "6510", "CC-IT-INFRA", "Accenture", "Infrastructure consulting", 4200.0, "USD"),
    ("maintenance", "6400", "CC-IT-INFRA", "Dell Technologies", "ProSupport Plus server maintenance", 3100.0, "EUR"),
    ("maintenance", "6400", "CC-IT-INFRA", "Cisco Systems, Inc.", "SmartNet network maintenance", 1900.0, "USD"),
    ("maintenance", "6400", "CC-IT-WORKPLACE", "HP Inc.", "Managed print services", 800.0, "EUR"),
    ("other", "6900", "CC-IT-WORKPLACE", "Vodafone", "Mobile voice and data plans", 2600.0, "EUR"),
    ("other", "6900", "CC-IT-INFRA", "KPN", "WAN and internet connectivity", 2200.0, "EUR"),
)
GL_ACCOUNTS = {"hardware": "6100", "hardware_capex": "1610", "software": "6200", "saas": "6210",
               "cloud": "6300", "maintenance": "6400", "services": "6500", "other": "6900"}

AWS_SERVICES = (
    # service_name, service_category, per-account monthly USD base
    ("Amazon Simple Storage Service", "Storage", 420.0),
    ("AWS Data Transfer", "Networking", 180.0),
    ("Amazon Relational Database Service", "Databases", 950.0),
    ("AWS Support (Business)", "Support", 300.0),
)
AWS_REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")

# SaaS function categories of the apps above (as taxonomy/normalisation.yaml declares them; used
# only to list the overlaps the sample is expected to show).
SAAS_CATEGORY = {"Zoom": "video_conferencing", "Microsoft Teams": "video_conferencing",
                 "Webex": "video_conferencing", "Slack": "team_chat", "Asana": "project_management",
                 "Trello": "project_management", "Jira": "project_management", "Salesforce": "crm",
                 "Dropbox": "file_sharing", "Box": "file_sharing", "Figma": "design", "Miro": "design",
                 "DocuSign": "e_signature"}
