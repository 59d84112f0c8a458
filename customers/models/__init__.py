"""Customer records and what the department knows about each customer.

The models live in modules by concern. This package imports every model, so Django registers
them, and re-exports them with the choices and helpers code imports from ``customers.models``:

- :mod:`~customers.models.synced`: :class:`SyncedModel`, the base of every record the DMS also
  holds.
- :mod:`~customers.models.choices`: the vocabularies of the fields, and the check of a list of
  choices.
- :mod:`~customers.models.customer`: the customer (R1.1, R1.3) and who may see it (R7.1).
- :mod:`~customers.models.profile`: profile observations, contact preferences and opt-outs,
  value-layer events (R1.2, R1.4, R3.5).
- :mod:`~customers.models.access_log`: the log of personal data seen or taken (R7.2).
"""

# Django registers models in import order, which orders each model's reverse relations (the
# deletion cascades among them): the modules are imported in the order their models were declared.
# isort: off
from customers.models.synced import SyncedModel
from customers.models.choices import (
    ORDINAL_ATTRIBUTES,
    PROFILE_VALUE_CHOICES,
    Channel,
    Character,
    DataAccessAction,
    DayPreference,
    Gender,
    IncomeBand,
    ObservationSource,
    ProfileAttribute,
    TimeWindow,
    ValueLayer,
    validate_choice_list,
)
from customers.models.customer import Customer, visible_customers_q
from customers.models.profile import (
    ChannelOptOut,
    ContactPreference,
    ProfileObservation,
    ValueEvent,
)
from customers.models.access_log import DataAccessLog

# isort: on

__all__ = [
    "ORDINAL_ATTRIBUTES",
    "PROFILE_VALUE_CHOICES",
    "Channel",
    "ChannelOptOut",
    "Character",
    "ContactPreference",
    "Customer",
    "DataAccessAction",
    "DataAccessLog",
    "DayPreference",
    "Gender",
    "IncomeBand",
    "ObservationSource",
    "ProfileAttribute",
    "ProfileObservation",
    "SyncedModel",
    "TimeWindow",
    "ValueEvent",
    "ValueLayer",
    "validate_choice_list",
    "visible_customers_q",
]
