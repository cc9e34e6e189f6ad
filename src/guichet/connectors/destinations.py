"""Where the platform may send its outgoing calls (connectors, outgoing webhooks, the workflows' URL webhooks).

The addresses are typed by each collectivité's administrators, who are not the platform's operators: without a
check, « Tester la connexion » on `http://169.254.169.254/latest/meta-data/` would show a town's administrator
the cloud host's credentials (a server-side request forgery that reads the answer).

    problem = refused_destination(url)   # None, or the French reason the address is refused

Always refused, whatever the settings: link-local addresses (169.254.0.0/16 — the cloud metadata services —
and fe80::/10), unspecified (0.0.0.0, ::), multicast and reserved addresses, also written as IPv4-mapped IPv6.
Loopback and private networks (127.0.0.0/8, 10/8, 172.16/12, 192.168/16, fc00::/7…) are allowed by default (a
town's business software often lives on its own network, and the tests call 127.0.0.1); a platform shared by
several collectivités sets `GUICHET_OUTGOING_PRIVATE_ADDRESSES = False` to refuse them too.

The host name is resolved here and every address it gives is checked; the HTTP library resolves it again when
it connects, so a name whose DNS answer changes in between (DNS rebinding) is not covered: operators who need
that guarantee send outgoing calls through an egress proxy that applies the same rules.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


# Cloud metadata services outside the link-local range (AWS over IPv6, Alibaba Cloud).
METADATA_NETWORKS = (ipaddress.ip_network("fd00:ec2::/32"), ipaddress.ip_network("100.100.100.200/32"))


def private_allowed():
    return bool(getattr(settings, "GUICHET_OUTGOING_PRIVATE_ADDRESSES", True))


def _addresses(host, port):
    literal = host.strip("[]")
    try:
        return [ipaddress.ip_address(literal)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(literal, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return []  # unknown name: the call itself fails with its own « connexion impossible »
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(info[4][0].split("%")[0]))
        except ValueError:
            continue
    return found


def refused_address(address):
    """The French reason `address` (an ipaddress object) may not be called, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    never = (address.is_link_local or address.is_unspecified or address.is_multicast
             or any(address in network for network in METADATA_NETWORKS if network.version == address.version))
    if not never and (address.is_loopback or address.is_private):  # (Python counts 169.254/16 as private too)
        if private_allowed():
            return None
        return _("l'adresse %(address)s est celle d'un réseau privé : cette plateforme n'appelle que des "
                 "adresses publiques.") % {"address": address}
    if never or address.is_reserved:
        return _("l'adresse %(address)s est réservée (réseau local du serveur, service de métadonnées…) : la "
                 "plateforme ne l'appelle jamais.") % {"address": address}
    return None


def refused_destination(url):
    """None when `url` may be called, else the French reason (« Adresse refusée : … »)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return _("Adresse refusée : elle n'est pas valide.")
    if not host:
        return _("Adresse refusée : elle n'est pas valide.")
    port = port or (443 if parts.scheme == "https" else 80)
    for address in _addresses(host, port):
        reason = refused_address(address)
        if reason:
            return _("Adresse refusée : %(reason)s") % {"reason": reason}
    return None
