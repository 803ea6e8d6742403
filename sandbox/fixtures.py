"""Seeded business data shared by both sandboxes and the Tryton demo.

``build(seed)`` always returns the same catalogue, people, marketplaces,
warehouses, Square locations and team members for a seed, so the
ShipStation and Square sandboxes sell the same products to the same people
and the demo company can already hold part of them
(``demo_company_overlap``): those MATCH, the others are ADD NEW, and a few
products carry a slightly different SKU in Tryton so a human must link
them.
"""
import functools
import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    subdivision: str | None
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    street2: str | None = None


@dataclass(frozen=True)
class Product:
    key: str
    item_name: str
    variant_name: str | None
    sku: str
    upc: str
    price: Decimal
    category: str
    # How careless sellers type the SKU on marketplaces (case, spaces).
    sku_variants: tuple = ()

    @property
    def name(self):
        if self.variant_name:
            return f'{self.item_name} - {self.variant_name}'
        return self.item_name


@dataclass(frozen=True)
class Person:
    key: str
    given_name: str
    family_name: str
    email: str | None  # None: a guest who gave no email
    phone: str | None
    address: Address
    company: str | None = None

    @property
    def name(self):
        return f'{self.given_name} {self.family_name}'


@dataclass(frozen=True)
class Marketplace:
    key: str
    name: str
    marketplace_id: int
    store_id: int
    store_name: str


@dataclass(frozen=True)
class Warehouse:
    key: str
    name: str
    warehouse_id: int
    address: Address
    is_default: bool = False


@dataclass(frozen=True)
class SquareLocation:
    key: str
    location_id: str
    name: str
    timezone: str
    currency: str
    address: Address


@dataclass(frozen=True)
class TeamMember:
    key: str
    team_member_id: str
    given_name: str
    family_name: str
    email: str
    phone: str | None
    location_keys: tuple

    @property
    def name(self):
        return f'{self.given_name} {self.family_name}'


@dataclass(frozen=True)
class Fixtures:
    seed: int
    products: tuple
    people: tuple
    marketplaces: tuple
    warehouses: tuple
    square_locations: tuple
    team_members: tuple


@dataclass(frozen=True)
class Overlap:
    """What the demo company already holds before the first sync."""
    products: tuple  # same SKU as the vendors: MATCH
    renamed_products: tuple  # (Product, tryton_sku): linked by hand
    people: tuple  # same email (or name and address for guests): MATCH


# (item name, variants, SKU stem, base price, category)
_CATALOGUE = [
    ("Organic Cotton Tee", ["Black / S", "Black / M", "White / M",
        "White / L"], 'TEE', 24, "Apparel"),
    ("Merino Wool Socks", ["S/M", "L/XL"], 'SOCK', 16, "Apparel"),
    ("Linen Tote Bag", [None], 'TOTE', 19, "Bags"),
    ("Canvas Backpack", ["Olive", "Navy"], 'BPK', 79, "Bags"),
    ("Ceramic Mug", ["12 oz", "16 oz"], 'MUG', 18, "Kitchen"),
    ("Café Espresso Beans 250 g", [None], 'ESP-250', 14, "Coffee"),
    ("Colombia Huila Beans 1 kg", [None], 'COL-1KG', 42, "Coffee"),
    ("Matcha Tin 100 g", [None], 'MATCHA', 29, "Tea"),
    ("Crème Brûlée Tea", ["Loose 50 g", "Sachets x20"], 'CBT', 12, "Tea"),
    ("Beeswax Candle", ["Lavender", "Cedar", "Unscented"], 'CNDL', 22,
        "Home"),
    ("Notebook A5", ["Dot Grid", "Lined"], 'NB-A5', 15, "Stationery"),
    ("Fountain Pen", ["Fine", "Medium"], 'FPEN', 65, "Stationery"),
    ("Bottled Ink 50 ml", ["Blue", "Black"], 'INK', 11, "Stationery"),
    ("Yoga Mat", [None], 'YOGA', 58, "Fitness"),
    ("Stainless Water Bottle 750 ml", [None], 'BTL-750', 27, "Fitness"),
    ("Ōsaka Ramen Bowl", [None], 'RAMEN', 34, "Kitchen"),
    ("Olive Wood Spoon Set", [None], 'SPOON', 21, "Kitchen"),
    ("Gift Wrap", [None], 'GIFTWRAP', 5, "Extras"),
    ]

_PEOPLE = [
    ("Jane", "Doe", None), ("John", "Smith", None),
    ("Mary", "Smith", None), ("José", "García", None),
    ("Zoë", "Müller", None), ("François", "Lefèvre", "Atelier Lefèvre"),
    ("太郎", "山田", None), ("Σωκράτης", "Παπαδόπουλος", None),
    ("Иван", "Петров", None), ("Søren", "Kjær", None),
    ("Ngozi", "Okonkwo", "Okonkwo Trading Ltd"), ("An", "Nguyễn", None),
    ("Siobhán", "O'Brien", None), ("Björk", "Guðmundsdóttir", None),
    ("محمد", "علي", None), ("Łukasz", "Wiśniewski", None),
    ("Chloé", "Dubois", None), ("Emily", "Johnson", None),
    ("Michael", "Brown", "Brown & Sons"), ("Sarah", "Davis", None),
    ("David", "Wilson", None), ("Laura", "Martínez", None),
    ("James", "Taylor", None), ("Olivia", "Anderson", None),
    ("Robert", "Thomas", None), ("Sophia", "Jackson", None),
    ("William", "White", None), ("Ava", "Harris", None),
    ("Daniel", "Martin", None), ("Mia", "Thompson", None),
    ("Henry", "Moore", "Moore Design LLC"), ("Isabella", "Clark", None),
    ("Lucas", "Lewis", None), ("Amelia", "Walker", None),
    ("Mateo", "Hernández", None), ("Harper", "Young", None),
    ("Ethan", "King", None), ("Charlotte", "Wright", None),
    ("Priya", "Raghunathan", None), ("Wei", "Zhang", None),
    ]

_ADDRESSES = [
    ("742 Evergreen Terrace", "Springfield", "OR", "97477", 'US'),
    ("1600 Amphitheatre Pkwy", "Mountain View", "CA", "94043", 'US'),
    ("350 Fifth Avenue", "New York", "NY", "10118", 'US'),
    ("221 Pine St Apt 4B", "Seattle", "WA", "98101", 'US'),
    ("500 Boylston St", "Boston", "MA", "02116", 'US'),
    ("1 Infinite Loop", "Cupertino", "CA", "95014", 'US'),
    ("77 Massachusetts Ave", "Cambridge", "MA", "02139", 'US'),
    ("4059 Mt Lee Dr", "Los Angeles", "CA", "90068", 'US'),
    ("233 S Wacker Dr", "Chicago", "IL", "60606", 'US'),
    ("100 Congress Ave", "Austin", "TX", "78701", 'US'),
    ("1 Yonge St", "Toronto", "ON", "M5E 1E5", 'CA'),
    ("10 Downing Street", "London", None, "SW1A 2AA", 'GB'),
    ("8 Rue de Rivoli", "Paris", None, "75004", 'FR'),
    ("Unter den Linden 77", "Berlin", None, "10117", 'DE'),
    ("1-1 Chiyoda", "Chiyoda-ku", "Tokyo", "100-0001", 'JP'),
    ("2 Macquarie St", "Sydney", "NSW", "2000", 'AU'),
    ]

_PHONE_FORMATS = [
    '+1 {a}-{b}-{c}', '({a}) {b}-{c}', '{a}.{b}.{c}', '{a}{b}{c}',
    '1-{a}-{b}-{c}', '{a} {b} {c}',
    ]

_FOREIGN_PHONES = {
    'GB': '+44 20 7946 0{n:03d}', 'FR': '+33 1 42 68 {n:02d} 00',
    'DE': '+49 30 901820{n:02d}', 'JP': '+81 3-3210-{n:04d}',
    'AU': '+61 2 9372 {n:04d}', 'CA': '(416) 555-{n:04d}',
    }


def _ascii(text):
    folded = unicodedata.normalize('NFKD', text)
    return ''.join(c for c in folded if c.isascii() and c.isalnum()).lower()


def _upc(rng):
    digits = [rng.randint(0, 9) for _ in range(11)]
    odd = sum(digits[0::2])
    even = sum(digits[1::2])
    check = (10 - (odd * 3 + even) % 10) % 10
    return ''.join(map(str, digits + [check]))


def _variant_code(variant):
    words = variant.replace('/', ' ').split()
    return '-'.join(w[:3].upper() for w in words)


def _odd_skus(sku):
    return (sku.lower(), f' {sku} ', sku.replace('-', ' '))


def _products(rng):
    products = []
    for item_name, variants, stem, base, category in _CATALOGUE:
        for variant in variants:
            sku = stem if variant is None else (
                f'{stem}-{_variant_code(variant)}')
            price = Decimal(base + rng.choice([0, 0, 1, 5])) - Decimal(
                rng.choice(['0.01', '0.05', '0.00']))
            index = len(products) + 1
            products.append(Product(
                    key=f'P{index:02d}', item_name=item_name,
                    variant_name=variant, sku=sku, upc=_upc(rng),
                    price=price, category=category,
                    sku_variants=_odd_skus(sku) if index % 4 == 0 else ()))
    return products


def _phone(rng, country, index):
    if country in _FOREIGN_PHONES:
        return _FOREIGN_PHONES[country].format(n=index)
    area = rng.choice(['415', '212', '206', '617', '312', '512'])
    line = f'{100 + index:04d}'
    return rng.choice(_PHONE_FORMATS).format(a=area, b='555', c=line)


def _email(rng, given, family):
    local = f'{_ascii(given)}.{_ascii(family)}'.strip('.')
    if local in {'', '.'} or not _ascii(given) or not _ascii(family):
        local = f'customer{rng.randint(1000, 9999)}'
    domain = rng.choice(['example.com', 'example.org', 'mail.example.net'])
    if rng.random() < 0.15:
        local = local.title()  # emails typed with capitals
    return f'{local}@{domain}'


def _people(rng):
    addresses = list(_ADDRESSES)
    people = []
    for index, (given, family, company) in enumerate(_PEOPLE, 1):
        street, city, subdivision, postal_code, country = (
            addresses[rng.randrange(len(addresses))])
        if country == 'US' and rng.random() < 0.2:
            postal_code += f'-{rng.randint(1000, 9999)}'  # ZIP+4
        address = Address(street, city, subdivision, postal_code, country)
        email = _email(rng, given, family)
        phone = _phone(rng, country, index) if rng.random() < 0.85 else None
        people.append(Person(
                key=f'C{index:02d}', given_name=given, family_name=family,
                email=email, phone=phone, address=address, company=company))
    # John and Mary Smith share one household email.
    people[1] = _replace(people[1], email='smiths@example.com')
    people[2] = _replace(
        people[2], email='smiths@example.com', address=people[1].address)
    # Three guests checked out without an email.
    for index in (17, 26, 35):
        people[index] = _replace(people[index], email=None)
    return people


def _replace(record, **changes):
    values = dict(record.__dict__)
    values.update(changes)
    return type(record)(**values)


def _marketplaces():
    return [
        Marketplace('M1', 'Amazon', 2, 10001, 'Amazon US'),
        Marketplace('M2', 'Etsy', 21, 10002, 'Etsy Shop'),
        Marketplace('M3', 'Shopify', 26, 10003, 'Shopify Store'),
        ]


def _warehouses():
    return [
        Warehouse('W1', 'Main Warehouse', 20001, Address(
                "2000 Broadway", "Oakland", "CA", "94612", 'US'), True),
        Warehouse('W2', 'East Coast 3PL', 20002, Address(
                "1 Port St", "Newark", "NJ", "07114", 'US')),
        ]


def _square_id(rng, length=13):
    alphabet = 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789'
    return ''.join(rng.choice(alphabet) for _ in range(length))


def _square_locations(rng):
    return [
        SquareLocation('L1', 'L' + _square_id(rng), 'Downtown Café',
            'America/Los_Angeles', 'USD', Address(
                "123 Market St", "San Francisco", "CA", "94105", 'US')),
        SquareLocation('L2', 'L' + _square_id(rng), 'Farmers Market Stall',
            'America/Los_Angeles', 'USD', Address(
                "1 Ferry Building", "San Francisco", "CA", "94111", 'US')),
        SquareLocation('L3', 'L' + _square_id(rng), 'Brooklyn Pop-up',
            'America/New_York', 'USD', Address(
                "85 N 3rd St", "Brooklyn", "NY", "11249", 'US')),
        ]


def _team_members(rng):
    members = [
        ("Alex", "Rivera", ('L1', 'L2')), ("Bea", "Kowalska", ('L1',)),
        ("Chen", "Wei", ('L2',)), ("Dana", "O'Neil", ('L3',)),
        ]
    return [
        TeamMember(
            f'T{index}', 'TM' + _square_id(rng, 14), given, family,
            f'{_ascii(given)}@downtown-cafe.example.com',
            f'(415) 555-{200 + index:04d}', locations)
        for index, (given, family, locations) in enumerate(members, 1)]


@functools.lru_cache(maxsize=8)
def build(seed=1):
    "Return the Fixtures of a seed (always the same for a seed)."
    rng = random.Random(f'cloud-commerce-fixtures-{seed}')
    return Fixtures(
        seed=seed,
        products=tuple(_products(rng)),
        people=tuple(_people(rng)),
        marketplaces=tuple(_marketplaces()),
        warehouses=tuple(_warehouses()),
        square_locations=tuple(_square_locations(rng)),
        team_members=tuple(_team_members(rng)))


def _near_sku(sku, rng):
    "A SKU a bookkeeper might have typed: close, but not equal."
    candidates = [
        sku.replace('-', ''), f'{sku}-01', sku.replace('-', '_'),
        f'X{sku}']
    return rng.choice([c for c in candidates if c != sku])


@functools.lru_cache(maxsize=8)
def demo_company_overlap(seed=1):
    """Return what the demo company holds before the first sync.

    About half of the products with the same SKU, three with a near SKU
    (to link by hand) and about 40 % of the people; the rest of the
    fixtures comes in as ADD NEW.
    """
    fixtures = build(seed)
    rng = random.Random(f'cloud-commerce-overlap-{seed}')
    products = list(fixtures.products)
    rng.shuffle(products)
    same = sorted(products[:14], key=lambda p: p.key)
    renamed = tuple(
        (p, _near_sku(p.sku, rng))
        for p in sorted(products[14:17], key=lambda p: p.key))
    people = [p for p in fixtures.people if p.email]
    rng.shuffle(people)
    known = sorted(people[:14], key=lambda p: p.key)
    # One guest without email is known by name and address only.
    guest = next(p for p in fixtures.people if p.email is None)
    known.append(guest)
    return Overlap(
        products=tuple(same), renamed_products=renamed, people=tuple(known))
