"""pytest-bdd step definitions: thin adapters from Gherkin words to harness and provisioning calls.

    @then(parsers.parse('the service gets an {family} address inside pool "{pool}"'))
    def _(cluster, profile, created_service, family, pool): ...   # parse, call, assert
"""

from collections.abc import Callable

from harness.core.netaddr import Family

# pytest-bdd converters: a step's {family} arrives as a Family (ipv4 | ipv6), never as free text
FAMILY: dict[str, Callable[[str], object]] = {"family": Family}
