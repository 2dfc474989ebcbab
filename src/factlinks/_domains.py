"""Registrable domains ("eTLD+1"): ``www.kfw.de`` and ``kfw.de`` are one site, ``a.co.uk`` and
``b.co.uk`` two.

The Public Suffix List comes with the ``publicsuffixlist`` package (no download at run time);
it is read once, when first needed.
"""

from __future__ import annotations

import functools
import ipaddress

from publicsuffixlist import PublicSuffixList

__all__ = ["registrable_domain"]


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def registrable_domain(host: str) -> str:
    """The registrable domain of ``host``; an IP address, a bare suffix or a single label
    (``localhost``) is its own domain.

    Example::

        >>> registrable_domain("www.bmwk.de")
        'bmwk.de'
    """
    host = host.strip("[]").rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    return _suffixes().privatesuffix(host) or host
