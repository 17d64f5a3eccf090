"""Return-to-poverty monitoring (防返贫, domain.md §7): rules as policy data, run monthly."""
