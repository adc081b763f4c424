"""Live sources: one adapter per protocol (Kubernetes API, router over SSH, Talos API, DNS, HTTP, ICMP,
network namespaces), each wrapping its client library and mapping its errors into harness.core.errors."""
