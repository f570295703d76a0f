"""Whether a claimant's e-mail address belongs to the structure's own domain.

A claim is accepted at once when the claimant's verified address is at the registrable domain
of the structure's website: whoever receives mail there controls the organisation's domain.
Webmail providers and site builders are excluded: anyone can get an address or a site there.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Free mailbox providers: an address there says nothing about who runs the structure.
WEBMAILS = frozenset(
    {
        "aol.com",
        "aliceadsl.fr",
        "bbox.fr",
        "caramail.com",
        "club-internet.fr",
        "free.fr",
        "gmail.com",
        "gmx.com",
        "gmx.fr",
        "googlemail.com",
        "hotmail.com",
        "hotmail.fr",
        "icloud.com",
        "laposte.net",
        "libertysurf.fr",
        "live.com",
        "live.fr",
        "mac.com",
        "mail.com",
        "me.com",
        "msn.com",
        "neuf.fr",
        "numericable.fr",
        "orange.fr",
        "outlook.com",
        "outlook.fr",
        "proton.me",
        "protonmail.com",
        "sfr.fr",
        "tutanota.com",
        "wanadoo.fr",
        "yahoo.com",
        "yahoo.fr",
        "yandex.com",
        "zoho.com",
    }
)

# Suffixes under which anyone registers a name (public suffixes of more than one label), and
# site builders that give each customer a sub-domain: the registrable domain is one label more.
SHARED_SUFFIXES = frozenset(
    {
        "asso.fr",
        "com.fr",
        "gouv.fr",
        "nom.fr",
        "prd.fr",
        "presse.fr",
        "tm.fr",
        "co.uk",
        "org.uk",
        "com.re",
        "blogspot.com",
        "business.site",
        "e-monsite.com",
        "github.io",
        "jimdo.com",
        "jimdofree.com",
        "over-blog.com",
        "sitew.com",
        "webnode.fr",
        "wixsite.com",
        "wordpress.com",
    }
)
DOMAIN_MATCH = "domaine de l'adresse vérifiée = domaine du site"


def registrable_domain(host: str) -> str | None:
    """`mail.structure.fr` and `www.structure.fr` → `structure.fr`; None for no real domain."""
    labels = host.strip().lower().rstrip(".").removeprefix("www.").split(".")
    if len(labels) < 2 or not all(labels):
        return None
    try:
        ipaddress.ip_address(".".join(labels))
        return None
    except ValueError:
        pass
    size = 3 if ".".join(labels[-2:]) in SHARED_SUFFIXES else 2
    if len(labels) < size:
        return None
    return ".".join(labels[-size:])


def website_domain(website: str | None) -> str | None:
    if not website:
        return None
    address = website.strip()
    if "//" not in address:
        address = "//" + address
    try:
        host = urlsplit(address).hostname
    except ValueError:
        return None
    return registrable_domain(host) if host else None


def shared_domain(email: str | None, website: str | None) -> str | None:
    """The domain both the address and the website are at, unless it is a webmail's."""
    if not email or "@" not in email:
        return None
    address_domain = registrable_domain(email.rpartition("@")[2])
    if address_domain is None or address_domain in WEBMAILS:
        return None
    return address_domain if address_domain == website_domain(website) else None
