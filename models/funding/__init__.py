"""Funding: funders, conventions, allocations to the programme, payments, staff time."""
