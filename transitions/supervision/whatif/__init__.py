"""What-if of a standard change (issue 10): a set-based simulation of a proposed dibao standard,
supplement rate or price-linkage trigger over every active case and pending application."""
