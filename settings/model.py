"""Typed, frozen stack settings with secure defaults.

Every section of ``Pulumi.<stack>.yaml`` (under the ``databricks-ml-entra:`` namespace) has a
model here. Field names are snake_case in Python and camelCase in YAML (the alias). Field
validators check one value; cross-field rules live in :mod:`settings.rules` so that every
problem in a config is reported at once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Literal, Optional, TypeVar
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from settings.wellknown import GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE

T = TypeVar("T")

PROJECT = "databricks-ml-entra"


class Strict(BaseModel):
    """Base for all config models: frozen, camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        str_strip_whitespace=True,
        validate_default=True,
    )


def _uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise ValueError(
            "is not a UUID; use the object id or application (client) id as shown in the "
            "Entra admin center, e.g. 00000000-0000-0000-0000-000000000000"
        ) from None


def _cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"is not a valid CIDR range ({exc}); write it like 10.20.0.0/24") from None
    return str(net)


Uuid = Annotated[str, AfterValidator(_uuid)]
Cidr = Annotated[str, AfterValidator(_cidr)]
NonEmpty = Annotated[str, Field(min_length=1)]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_AZURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{1,62}[A-Za-z0-9_]$")
# Workspace MLflow registry: free text, but '/', ':' and '.' break REST paths and UC migration.
_WS_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _\-]{0,254}$")
# Unity Catalog identifiers we accept unquoted: lower-case letters, digits and underscores.
_UC_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")


class Environment(str, Enum):
    DEV = "dev"
    PROD = "prod"


# --- workspace roles and entitlements ---------------------------------------------------

class Role(str, Enum):
    """Role presets. Each maps to a workspace permission and a set of entitlements."""

    ADMIN = "admin"
    ENGINEER = "engineer"
    SCIENTIST = "scientist"
    AUDITOR = "auditor"
    AUTOMATION = "automation"
    AGENT = "agent"


class Entitlements(Strict):
    """Databricks workspace entitlements (None = take the role preset's value)."""

    workspace_access: Optional[bool] = None
    databricks_sql_access: Optional[bool] = None
    allow_cluster_create: Optional[bool] = None
    allow_instance_pool_create: Optional[bool] = None


ENTITLEMENT_NAMES = tuple(Entitlements.model_fields)

ROLE_PRESETS: dict[Role, tuple[str, dict[str, bool]]] = {
    # role: (workspace permission, entitlements)
    Role.ADMIN: ("ADMIN", {"workspace_access": True, "databricks_sql_access": True,
                           "allow_cluster_create": True, "allow_instance_pool_create": True}),
    Role.ENGINEER: ("USER", {"workspace_access": True, "databricks_sql_access": True,
                             "allow_cluster_create": True, "allow_instance_pool_create": False}),
    Role.SCIENTIST: ("USER", {"workspace_access": True, "databricks_sql_access": True,
                              "allow_cluster_create": False, "allow_instance_pool_create": False}),
    Role.AUDITOR: ("USER", {"workspace_access": True, "databricks_sql_access": True,
                            "allow_cluster_create": False, "allow_instance_pool_create": False}),
    Role.AUTOMATION: ("USER", {"workspace_access": True, "databricks_sql_access": False,
                               "allow_cluster_create": False, "allow_instance_pool_create": False}),
    # An agent calls the workspace APIs to load and run the models it may EXECUTE: workspace
    # access is the one access entitlement that allows that (every principal needs at least one
    # access entitlement to use a workspace at all); no SQL, no compute creation.
    Role.AGENT: ("USER", {"workspace_access": True, "databricks_sql_access": False,
                          "allow_cluster_create": False, "allow_instance_pool_create": False}),
}


def effective_entitlements(role: Role, overrides: Entitlements) -> dict[str, bool]:
    """The role preset's entitlements with the per-principal overrides applied."""
    base = dict(ROLE_PRESETS[role][1])
    for name in ENTITLEMENT_NAMES:
        value = getattr(overrides, name)
        if value is not None:
            base[name] = value
    return base


# --- sections -------------------------------------------------------------------------

class Tags(Strict):
    """Tags applied to every taggable Azure resource (``environment`` is added from the stack)."""

    owner: NonEmpty
    cost_center: NonEmpty
    data_classification: Literal["public", "internal", "confidential", "restricted"]
    extra: dict[str, str] = Field(default_factory=dict)


class DatabricksAccount(Strict):
    account_id: Uuid
    identity_mode: Literal["account", "workspace"] = "account"
    # The Unity Catalog metastore the workspace is assigned to (required for Unity Catalog
    # models), and the workspace's default catalog (DefaultNamespaceSetting).
    metastore_id: Optional[Uuid] = None
    default_catalog: Optional[str] = None
    # No auth type here: provider inputs must be the same whoever deploys. The Databricks SDK
    # reads DATABRICKS_AUTH_TYPE / ARM_* from the deployer's environment at run time, and
    # settings.environment refuses personal access tokens there.


class AzureDatabricksAssignment(Strict):
    """A further principal assigned to the Azure Databricks enterprise app, with the reason."""

    object_id: Uuid
    principal_type: Literal["group", "user", "servicePrincipal"] = "group"
    reason: NonEmpty


class AzureDatabricksApp(Strict):
    """The tenant's Azure Databricks enterprise app (first-party app 2ff814a6-...).

    ``requireAssignment: true`` adopts the tenant's Azure Databricks service principal, sets
    ``appRoleAssignmentRequired`` and assigns every mapped group, every automation identity, the
    break-glass groups and ``additionalAssignments``. This is TENANT-WIDE: nobody else in the
    tenant gets a token for Azure Databricks, in any workspace. Off (the default), the enterprise
    app is only looked up and never changed.
    """

    require_assignment: bool = False
    additional_assignments: dict[str, AzureDatabricksAssignment] = Field(default_factory=dict)


class ClientApp(Strict):
    """An OAuth client of our own tools that call Azure Databricks on behalf of signed-in users.

    Public client (``publicClient``: desktop/CLI tools, loopback redirect per RFC 8252) or
    single-page app (``singlePageApplication``); authorization code + PKCE, never a secret.
    """

    display_name: NonEmpty
    platform: Literal["publicClient", "singlePageApplication"]
    redirect_uris: list[str] = Field(min_length=1)
    owners: list[Uuid] = Field(min_length=1)


class Group(Strict):
    """An Entra security group. ``role`` maps it into Databricks; without one it is Entra-only."""

    display_name: NonEmpty
    description: NonEmpty
    owners: list[Uuid] = Field(min_length=1)
    role: Optional[Role] = None
    entitlements: Entitlements = Field(default_factory=Entitlements)
    # An explicit member list is for small setups only; Entra owns membership otherwise.
    members: list[Uuid] = Field(default_factory=list, max_length=25)

    @property
    def is_mapped(self) -> bool:
        """Mapped into Databricks (it has a ``role``): the one owner of that fact."""
        return self.role is not None


class Federation(Strict):
    """A federated identity credential for GitHub Actions (no secret at all).

    ``environment`` pins the credential to a (protected) GitHub environment: the deployer's
    form. ``pullRequest: true`` trusts pull-request workflows of the repository instead: only
    for the read-only preview identity named by ``previewer``.
    """

    repository: str
    environment: Optional[NonEmpty] = None
    pull_request: bool = False
    issuer: str = GITHUB_ISSUER
    audience: str = TOKEN_EXCHANGE_AUDIENCE

    @model_validator(mode="after")
    def _one_subject(self) -> Federation:
        if self.pull_request and self.environment:
            raise ValueError("sets both `environment` and `pullRequest`; a credential trusts one "
                             "subject: keep `environment` (deployers) or `pullRequest: true` "
                             "(the read-only preview identity)")
        if not self.pull_request and not self.environment:
            raise ValueError("needs `environment` (the GitHub environment whose jobs may sign "
                             "in) or `pullRequest: true` for the read-only preview identity")
        return self


class Rotation(Strict):
    """Dual-slot password rotation. Each slot lives ``2 * periodDays``; slots are staggered."""

    period_days: int = Field(default=90, ge=30, le=365)
    overlap_days: int = Field(default=30, ge=7, le=180)


class KeyVaultTarget(Strict):
    """Where the current secret is written so consumers always read the newest one.

    Either ``vaultName`` (the stack declares the vault: RBAC authorization, soft delete, purge
    protection; in ``resourceGroupName``, default the workspace resource group) or ``vaultId``
    (an existing vault's ARM resource id, in the stack's subscription). Exactly one.
    """

    secret_name: NonEmpty
    vault_name: Optional[str] = None
    resource_group_name: Optional[str] = None
    vault_id: Optional[str] = None


class IdentityFederatedCredential(Strict):
    """A federated credential on a managed identity (for example an AKS service account)."""

    issuer: str
    subject: NonEmpty
    audience: str = TOKEN_EXCHANGE_AUDIENCE


class ServicePrincipal(Strict):
    """An automation identity. Prefer ``managed-identity``, then ``federated``; ``secret`` last."""

    display_name: NonEmpty
    kind: Literal["federated", "secret", "managed-identity"]
    purpose: NonEmpty
    role: Role = Role.AUTOMATION
    entitlements: Entitlements = Field(default_factory=Entitlements)
    federation: Optional[Federation] = None
    rotation: Optional[Rotation] = None
    key_vault: Optional[KeyVaultTarget] = None
    federated_credentials: dict[str, IdentityFederatedCredential] = Field(default_factory=dict)
    owners: list[Uuid] = Field(default_factory=list)


class NamedLocation(Strict):
    display_name: NonEmpty
    ip_ranges: list[Cidr] = Field(min_length=1)
    trusted: bool = True


class RecordedExclusion(Strict):
    """A group excluded from every conditional access policy besides break-glass, and why."""

    object_id: Uuid
    reason: NonEmpty


class ConditionalAccess(Strict):
    """Conditional access for Azure Databricks and the client app.

    ``outsideTrustedLocations`` uses the trusted named locations: ``block`` refuses sign-in from
    anywhere else, ``requireCompliantDevice`` asks for a compliant device there, ``none`` adds
    no location policy (and then no named location may be declared: it would be unused).
    """

    state: Literal["enabled", "enabledForReportingButNotEnforced", "disabled"]
    break_glass_group_object_ids: list[Uuid] = Field(default_factory=list)
    named_locations: dict[str, NamedLocation] = Field(default_factory=dict)
    require_compliant_device: bool = False
    outside_trusted_locations: Literal["none", "block", "requireCompliantDevice"] = "none"
    sign_in_frequency_hours: Optional[int] = Field(default=None, ge=1, le=720)
    recorded_exclusions: dict[str, RecordedExclusion] = Field(default_factory=dict)

    @property
    def excluded_group_object_ids(self) -> list[str]:
        """Break-glass groups first, then the recorded exclusions (each id once)."""
        ids = list(self.break_glass_group_object_ids)
        for exclusion in self.recorded_exclusions.values():
            if exclusion.object_id not in ids:
                ids.append(exclusion.object_id)
        return ids


# --- hub-and-spoke (transit) networking ----------------------------------------------------

PRIVATE_DNS_ZONE = "privatelink.azuredatabricks.net"
_ARM_RG = r"(?P<rg>[-\w.()]{0,89}[-\w()])"
_ARM_SUB = r"/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/" + _ARM_RG
# ARM ids are case-insensitive in their fixed segments; names keep their own rules.
_SUBNET_ID = re.compile(
    _ARM_SUB + r"/providers/Microsoft\.Network/virtualNetworks/"
    r"(?P<vnet>[A-Za-z0-9](?:[\w.-]{0,62}\w)?)"
    r"/subnets/(?P<subnet>[A-Za-z0-9](?:[\w.-]{0,78}\w)?)$",
    re.IGNORECASE)
_ZONE_ID = re.compile(
    _ARM_SUB + r"/providers/Microsoft\.Network/privateDnsZones/(?P<zone>[^/]+)$", re.IGNORECASE)


def _subnet_id(value: str) -> str:
    match = _SUBNET_ID.match(value)
    if match is None or not is_uuid(match["sub"]):
        raise ValueError(
            "is not the ARM resource id of a subnet; copy it from the subnet's Properties blade, "
            "e.g. /subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.Network/"
            "virtualNetworks/<vnet>/subnets/<subnet>")
    return value


def _zone_id(value: str) -> str:
    match = _ZONE_ID.match(value)
    if match is None or not is_uuid(match["sub"]):
        raise ValueError(
            "is not the ARM resource id of a private DNS zone, e.g. /subscriptions/<uuid>/"
            f"resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/{PRIVATE_DNS_ZONE}")
    if match["zone"].casefold() != PRIVATE_DNS_ZONE:
        raise ValueError(
            f"names the zone '{match['zone']}', but Azure Databricks private endpoints register "
            f"in {PRIVATE_DNS_ZONE}; give the id of your central {PRIVATE_DNS_ZONE} zone")
    return value


def is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


SubnetId = Annotated[str, AfterValidator(_subnet_id)]
PrivateDnsZoneId = Annotated[str, AfterValidator(_zone_id)]


class HubPeering(Strict):
    """VNet peering between the workspace VNet (spoke) and the hub.

    The spoke side is always declared. The hub side lives in the hub's resource group (often in
    the connectivity subscription) and belongs to the platform team: it is declared here only
    with ``declareHubSide: true``; otherwise it is a manual step (``manualSteps``).
    """

    allow_forwarded_traffic: bool = False
    use_remote_gateways: bool = False
    declare_hub_side: bool = False


class Hub(Strict):
    """The existing hub/transit VNet that users, runners and the deployer reach the workspace from.

    ``frontEndSubnetId``: the hub subnet for the front-end ``databricks_ui_api`` endpoint (and
    the ``browser_authentication`` one). ``privateDnsZoneId``: an existing central
    ``privatelink.azuredatabricks.net`` zone; without it the stack declares the zone in
    ``dnsResourceGroupName`` and links it to the hub VNet. ``endpointResourceGroupName``: where
    the front-end endpoints are created (default: the hub subnet's resource group); a private
    endpoint lives in its subnet's subscription.
    """

    front_end_subnet_id: SubnetId
    private_dns_zone_id: Optional[PrivateDnsZoneId] = None
    dns_resource_group_name: Optional[str] = None
    endpoint_resource_group_name: Optional[str] = None
    peering: Optional[HubPeering] = None

    def _part(self, name: str) -> str:
        match = _SUBNET_ID.match(self.front_end_subnet_id)
        assert match is not None  # validated above
        return match[name]

    @property
    def subscription_id(self) -> str:
        return str(UUID(self._part("sub")))

    @property
    def resource_group_name(self) -> str:
        return self._part("rg")

    @property
    def virtual_network_name(self) -> str:
        return self._part("vnet")

    @property
    def virtual_network_id(self) -> str:
        """The hub VNet's ARM id: the subnet id without ``/subnets/<name>``."""
        return self.front_end_subnet_id[: self.front_end_subnet_id.lower().rindex("/subnets/")]

    @property
    def endpoint_resource_group(self) -> str:
        return self.endpoint_resource_group_name or self.resource_group_name


class Network(Strict):
    """VNet injection. Subnets are /26 or larger, as Azure Databricks requires.

    ``privateEndpointSubnetCidr`` holds the back-end endpoint; ``hub`` the front-end ones.
    """

    vnet_name: NonEmpty
    address_space: Cidr
    public_subnet_cidr: Cidr
    private_subnet_cidr: Cidr
    private_endpoint_subnet_cidr: Optional[Cidr] = None
    hub: Optional[Hub] = None


class PrivateLink(Strict):
    enabled: bool = True
    browser_authentication: bool = False


class CustomerManagedKeys(Strict):
    key_vault_uri: str
    managed_services_key_name: Optional[str] = None
    managed_services_key_version: Optional[str] = None
    managed_disks_key_name: Optional[str] = None
    managed_disks_key_version: Optional[str] = None


class EnhancedSecurityCompliance(Strict):
    enabled: bool = True
    compliance_standards: list[Literal["HIPAA", "PCI_DSS", "NONE"]] = Field(default_factory=list)
    automatic_cluster_update: bool = True
    enhanced_security_monitoring: bool = True


class Workspace(Strict):
    name: str
    resource_group_name: str
    managed_resource_group_name: str
    public_network_access: Literal["Enabled", "Disabled"] = "Disabled"
    private_link: PrivateLink = Field(default_factory=PrivateLink)
    customer_managed_keys: Optional[CustomerManagedKeys] = None
    infrastructure_encryption: bool = False
    enhanced_security_compliance: Optional[EnhancedSecurityCompliance] = None
    # Set to a change ticket to allow a change that replaces the prod workspace.
    acknowledge_replacement: Optional[str] = None
    # Brownfield: the resource group already exists and is owned elsewhere; the stack puts its
    # resources in it but never creates, tags or deletes it.
    existing_resource_group: bool = False


class Audit(Strict):
    log_analytics_name: NonEmpty
    retention_days: int = Field(default=365, ge=30, le=730)
    entra_logs: bool = False
    # Brownfield: send the logs to an existing (e.g. the SOC's central) Log Analytics workspace,
    # given by ARM id, instead of declaring one. Its retention is then its owner's to keep.
    existing_workspace_id: Optional[str] = None


WORKSPACE_LEVELS = ("CAN_READ", "CAN_EDIT", "CAN_MANAGE_STAGING_VERSIONS",
                    "CAN_MANAGE_PRODUCTION_VERSIONS", "CAN_MANAGE")
UC_PRIVILEGES = ("EXECUTE", "APPLY_TAG", "MANAGE", "ALL_PRIVILEGES")


class Model(Strict):
    """A registered model and who may do what to it.

    ``registry: workspace`` takes ``permissions: {principal: LEVEL}``;
    ``registry: unity-catalog`` takes ``permissions: {principal: [PRIVILEGE, ...]}``.
    Principals are keys of ``groups`` or ``servicePrincipals``.
    """

    registry: Literal["workspace", "unity-catalog"]
    name: NonEmpty
    description: str = ""
    catalog: Optional[str] = None
    schema_: Optional[str] = Field(default=None, alias="schema")
    permissions: dict[str, str | list[str]]
    # principal -> reason: lets a human group hold production transitions in prod.
    exceptions: dict[str, NonEmpty] = Field(default_factory=dict)


class Provisioning(Strict):
    """How Entra group members reach Databricks without per-user resources."""

    mode: Literal["automatic-identity-management", "scim"] = "automatic-identity-management"
    # For mode scim: the enterprise application of the Databricks SCIM connector.
    scim_service_principal_object_id: Optional[Uuid] = None


# --- Entra ID Governance: self-service access packages and PIM for groups --------------
# Wire values Microsoft Graph and the azuread provider accept (azuread 6.11 docstrings):
# assignment review recurrence, reviewer types, timeout behaviour, and the PIM activation window.
REVIEW_FREQUENCIES = ("weekly", "monthly", "quarterly", "halfyearly", "annual")
REVIEW_PERIOD_DAYS = {"weekly": 7, "monthly": 28, "quarterly": 90, "halfyearly": 182,
                      "annual": 365}
REVIEW_TIMEOUT_BEHAVIOURS = ("keepAccess", "removeAccess", "acceptAccessRecommendation")
# Longest assignment an access package may grant, per environment (prod stricter).
ACCESS_DURATION_CEILING_DAYS = {"dev": 365, "prod": 90}
# Longest PIM activation per environment; Entra allows at most one day (P1D).
ACTIVATION_CEILING_HOURS = {"dev": 24, "prod": 8}


class Requestors(Strict):
    """Who may request an access package: members of some groups, or every member user."""

    scope: Literal["groups", "all-members"]
    group_object_ids: list[Uuid] = Field(default_factory=list)


class ApprovalStage(Strict):
    """One approval stage. With no approver groups, the group's owners approve."""

    approver_group_object_ids: list[Uuid] = Field(default_factory=list)
    requestor_manager: bool = False
    timeout_days: int = Field(default=14, ge=1, le=14)
    approver_justification_required: bool = True


class Approval(Strict):
    required: bool = True
    stages: list[ApprovalStage] = Field(default_factory=lambda: [ApprovalStage()],
                                        min_length=1, max_length=2)


class AccessReviewSettings(Strict):
    """Periodic review of the package's assignments (an Entra access review)."""

    frequency: Literal["weekly", "monthly", "quarterly", "halfyearly", "annual"] = "quarterly"
    reviewers: Literal["owners", "self", "manager"] = "owners"
    on_no_response: Literal["keepAccess", "removeAccess",
                            "acceptAccessRecommendation"] = "removeAccess"
    duration_days: int = Field(default=14, ge=1, le=180)


class AccessPackage(Strict):
    """Self-service access to one mapped group through an access package and its policy."""

    description: Optional[NonEmpty] = None
    requestors: Requestors
    approval: Approval = Field(default_factory=Approval)
    justification_required: bool = True
    duration_days: int = Field(ge=1, le=3660)
    review: Optional[AccessReviewSettings] = None


class PrivilegedAccess(Strict):
    """Just-in-time membership of an admin group (PIM for groups)."""

    eligible_group_object_id: Uuid
    max_activation_hours: int = Field(default=8, ge=1, le=24)
    justification_required: bool = True
    mfa_required: bool = True
    activation_approver_group_object_ids: list[Uuid] = Field(default_factory=list)


def access_duration_ceiling(environment: str, governance: Optional[Governance]) -> int:
    """The longest assignment an access package may grant in this stack."""
    ceiling = ACCESS_DURATION_CEILING_DAYS[environment]
    if governance is not None and governance.max_duration_days is not None:
        return min(ceiling, governance.max_duration_days)
    return ceiling


class AccessCatalog(Strict):
    display_name: NonEmpty
    description: NonEmpty


class Governance(Strict):
    """Entra ID Governance, opt-in per stack (needs Entra ID Governance or P2 licences).

    ``accessPackages`` and ``privilegedAccess`` are keyed by group keys.
    ``standingAdminMembers`` records, by object id, why a member sits permanently in an admin
    group (prod refuses one without a reason).
    """

    catalog: Optional[AccessCatalog] = None
    max_duration_days: Optional[int] = Field(default=None, ge=1, le=3660)
    access_packages: dict[str, AccessPackage] = Field(default_factory=dict)
    privileged_access: dict[str, PrivilegedAccess] = Field(default_factory=dict)
    standing_admin_members: dict[Uuid, NonEmpty] = Field(default_factory=dict)


class ReplacementLock(Strict):
    """The last-deployed values of the properties that force a workspace replacement."""

    workspace_name: str
    location: str
    managed_resource_group_name: str
    resource_group_name: str


class Settings(Strict):
    """The whole stack configuration, validated."""

    stack: str
    environment: Environment
    tenant_id: Uuid
    subscription_id: Uuid
    location: NonEmpty
    protect: bool = True
    tags: Tags
    databricks: DatabricksAccount
    deployer: NonEmpty
    # The read-only identity that runs `pulumi preview` for pull requests (README, CI).
    previewer: Optional[NonEmpty] = None
    azure_databricks_app: AzureDatabricksApp = Field(default_factory=AzureDatabricksApp)
    client_app: Optional[ClientApp] = None
    groups: dict[str, Group] = Field(min_length=1)
    service_principals: dict[str, ServicePrincipal] = Field(default_factory=dict)
    conditional_access: ConditionalAccess
    workspace: Workspace
    network: Network
    audit: Audit
    models: dict[str, Model] = Field(default_factory=dict)
    provisioning: Provisioning = Field(default_factory=Provisioning)
    replacement_lock: Optional[ReplacementLock] = None
    governance: Optional[Governance] = None
    scim_token_set: bool = False

    # --- derived views used by components and reports ---

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    @property
    def protect_critical(self) -> bool:
        """Whether critical resources are declared with ``protect=True`` (the one owner of that).

        Critical resources are the workspace (its resource group, network, Log Analytics and
        audit routing), the groups, app registrations and service principals, the Databricks
        identities, ACLs, models and governance objects, the Key Vault and the adopted Azure
        Databricks app. They follow ``protect`` in every environment; a prod stack must set it
        true (settings rule ``prod_protected``), so in prod they are always protected. Credentials
        (secrets, federated credentials) are never protected: rotation must replace them.
        """
        return self.protect

    @property
    def all_tags(self) -> dict[str, str]:
        tags = {
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "environment": self.environment.value,
            "data-classification": self.tags.data_classification,
            "managed-by": "pulumi:" + PROJECT,
        }
        tags.update(self.tags.extra)
        return tags

    @property
    def admin_groups(self) -> list[str]:
        return [k for k, g in self.groups.items() if g.role is Role.ADMIN]

    @property
    def mapped_groups(self) -> dict[str, Group]:
        return {k: g for k, g in self.groups.items() if g.is_mapped}

    def only_mapped(self, by_group_key: Mapping[str, T]) -> dict[str, T]:
        """The entries of ``by_group_key`` (e.g. group object ids) for mapped groups only."""
        mapped = self.mapped_groups
        return {k: v for k, v in by_group_key.items() if k in mapped}

    def principal_kind(self, key: str) -> str | None:
        if key in self.groups:
            return "group"
        if key in self.service_principals:
            return "service-principal"
        return None


MODEL_NAME_PATTERNS = {"workspace": _WS_MODEL_NAME, "unity-catalog": _UC_IDENT}
SLUG = _SLUG
AZURE_NAME = _AZURE_NAME
UC_IDENT = _UC_IDENT
