@authentik
Feature: Authentik guards every host under the protected domain, with DNS and TLS at the ingress
  Only the external outpost's Ingress handles hosts under the protected domain; every such host
  resolves to the ingress address, serves a certificate valid under the profile's CA, sends plain
  HTTP to HTTPS, and sends unauthenticated users to Authentik (architecture: Authentication).

  @repo @needs_cluster @arch-33 @arch-65 @arch-66
  Scenario: No Ingress but the outpost's claims a host under the protected domain
    Then no Ingress other than the outpost's claims a host under the protected domain

  @needs_dns @arch-20 @arch-57 @arch-61
  Scenario Outline: <host> resolves to the ingress address in every family
    Then the protected host "<host>" resolves to the profile's ingress address in A and AAAA

    Examples:
      | host                                  |
      | longhorn.k8s.home.geoffdavis.com      |
      | alertmanager.k8s.home.geoffdavis.com  |
      | hubble.k8s.home.geoffdavis.com        |
      | homeassistant.k8s.home.geoffdavis.com |

  @needs_network @arch-18 @arch-70
  Scenario Outline: <host> serves a certificate for its name and redirects plain HTTP to HTTPS
    Then the certificate served for "<host>" is valid for that name under the profile's CA
    And plain HTTP to "<host>" redirects to HTTPS on the same host

    Examples:
      | host                                  |
      | longhorn.k8s.home.geoffdavis.com      |
      | alertmanager.k8s.home.geoffdavis.com  |
      | hubble.k8s.home.geoffdavis.com        |
      | homeassistant.k8s.home.geoffdavis.com |

  @needs_network @arch-31 @arch-63 @arch-68
  Scenario Outline: An unauthenticated request to <host> ends at Authentik's authorize endpoint
    Then an unauthenticated HTTPS request to "<host>" ends at Authentik with a redirect_uri on the same host

    Examples:
      | host                                  |
      | longhorn.k8s.home.geoffdavis.com      |
      | alertmanager.k8s.home.geoffdavis.com  |
      | hubble.k8s.home.geoffdavis.com        |
      | homeassistant.k8s.home.geoffdavis.com |

  @needs_network @arch-63 @arch-70 @arch-71
  Scenario Outline: An authenticated session reaches the app behind <host>
    The session is Authentik's own login, driven unattended through its flow executor API with a
    dedicated test account; without one the scenario is skipped, saying how to give one.

    Given an authenticated Authentik session for "<host>"
    Then a request to "<host>" with that session reaches the app

    Examples:
      | host                                  |
      | longhorn.k8s.home.geoffdavis.com      |
      | hubble.k8s.home.geoffdavis.com        |

  @needs_network @arch-68
  Scenario: An unknown host under the protected domain gets no app content
    Then a request for an unknown host under the protected domain gets no app content, over HTTP or HTTPS
