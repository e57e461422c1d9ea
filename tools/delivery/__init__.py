"""Delivery: the GitOps image values file, promoting a digest into it, and the local rehearsal."""
