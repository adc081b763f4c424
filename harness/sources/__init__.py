"""Where facts come from: the GitOps repo (``repo``) and the running cluster (``live``), each filling
the fields of harness.model.facts the same way, so the three-way table compares like with like."""
