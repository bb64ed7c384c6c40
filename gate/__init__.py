"""The offline gate: the program under mocks, the policy pack over its analyzer protocol."""
