"""The regional network: the region and its missions locales."""
