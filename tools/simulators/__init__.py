"""Vendor simulators: the webhooks Vlens, Documenso, FintechOS and Signly send, and their APIs.

`generate` turns a `Scenario` into contracts and the deliveries to send; `send` delivers them
to a target over HTTP; `create_status_app` answers polling clients from a `VendorState`.
"""

from tools.simulators.delivery import Contract, Delivery, fold_statuses
from tools.simulators.generate import SIMULATORS, Simulation, generate
from tools.simulators.scenario import DEFAULT_OUTCOMES, VENDORS, Outcome, Scenario
from tools.simulators.sender import Secrets, SendReport, SendResult, send
from tools.simulators.state import VendorState
from tools.simulators.status_api import create_status_app, vendor_base_urls
from tools.simulators.summary import SimulationSummary, VendorSummary, simulate

__all__ = [
    "DEFAULT_OUTCOMES",
    "SIMULATORS",
    "VENDORS",
    "Contract",
    "Delivery",
    "Outcome",
    "Scenario",
    "Secrets",
    "SendReport",
    "SendResult",
    "Simulation",
    "SimulationSummary",
    "VendorState",
    "VendorSummary",
    "create_status_app",
    "fold_statuses",
    "generate",
    "send",
    "simulate",
    "vendor_base_urls",
]
