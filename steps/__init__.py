"""pytest-bdd step definitions: thin adapters from Gherkin words to harness and provisioning calls.

    @then(parsers.parse('the service gets an {family} address inside pool "{pool}"'))
    def _(cluster, profile, created_service, family, pool): ...   # parse, call, assert
"""
