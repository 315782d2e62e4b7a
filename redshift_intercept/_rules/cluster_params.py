"""The cluster parameters of CreateCluster, ModifyCluster, DeleteCluster and
RestoreFromClusterSnapshot, checked as Redshift checks them (the service
model's constraints), each refusal with its modelled error. botocore checks
only types and required parameters; everything here is the service's job.

Messages quoted from real responses are marked [O]; the others are ours.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from .._errors import ServiceError, invalid_combination, invalid_retention, invalid_value
from .._records import retention_ok

NODE_TYPES = ("dc2.large", "dc2.8xlarge", "rg.large", "rg.xlarge", "rg.4xlarge", "rg.12xlarge", "ra3.large",
              "ra3.xlplus", "ra3.4xlarge", "ra3.16xlarge")
"""The service model's valid values for NodeType."""
RETIRED_FAMILIES = ("dc1.", "ds1.", "ds2.", "dw1.", "dw2.")
MAX_NODES = 100
"""CreateCluster.NumberOfNodes: "Value must be at least 1 and no more than 100"."""
MAX_AUTOMATED_RETENTION = 35

_CLUSTER_ID = re.compile(r"[a-z](?:-?[a-z0-9])*\Z")
_SNAPSHOT_ID = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*\Z")
_USERNAME = re.compile(r"[a-z][a-z0-9_+.@-]*\Z")
_DBNAME = re.compile(r"[a-z][a-z0-9_$]*\Z")
_PASSWORD_CHARS = re.compile(r"[!#-&(-.0-?A-\[\]-~]+\Z")  # ASCII 33-126 but ' " \ / @

RESERVED_WORDS = frozenset("""
AES128 AES256 ALL ALLOWOVERWRITE ANALYSE ANALYZE AND ANY ARRAY AS ASC AUTHORIZATION AZ64 BACKUP BETWEEN
BINARY BLANKSASNULL BOTH BYTEDICT BZIP2 CASE CAST CHECK COLLATE COLUMN CONSTRAINT CREATE CREDENTIALS CROSS
CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURRENT_USER_ID DEFAULT DEFERRABLE DEFLATE DEFRAG
DELTA DELTA32K DESC DISABLE DISTINCT DO ELSE EMPTYASNULL ENABLE ENCODE ENCRYPT ENCRYPTION END EXCEPT
EXPLICIT FALSE FOR FOREIGN FREEZE FROM FULL GLOBALDICT256 GLOBALDICT64K GRANT GROUP GZIP HAVING IDENTITY
IGNORE ILIKE IN INITIALLY INNER INTERSECT INTERVAL INTO IS ISNULL JOIN LEADING LEFT LIKE LIMIT LOCALTIME
LOCALTIMESTAMP LUN LUNS LZO LZOP MINUS MOSTLY16 MOSTLY32 MOSTLY8 NATURAL NEW NOT NOTNULL NULL NULLS OFF
OFFLINE OFFSET OID OLD ON ONLY OPEN OR ORDER OUTER OVERLAPS PARALLEL PARTITION PERCENT PERMISSIONS PIVOT
PLACING PRIMARY RAW READRATIO RECOVER REFERENCES REJECTLOG RESORT RESPECT RESTORE RIGHT SELECT SESSION_USER
SIMILAR SNAPSHOT SOME SYSDATE SYSTEM TABLE TAG TDES TEXT255 TEXT32K THEN TIMESTAMP TO TOP TRAILING TRUE
TRUNCATECOLUMNS UNION UNIQUE UNNEST UNPIVOT USER USING VERBOSE WALLET WHEN WHERE WITH WITHOUT
""".split())
"""Amazon Redshift's reserved words (Database Developer Guide, "Reserved words")."""


def new_cluster_id(value: str) -> str:
    """A new cluster's identifier, lowercased as Redshift stores it [O: a
    mixed-case identifier is accepted and comes back lowercase]; 1-63 letters,
    digits or hyphens, a letter first, no trailing or double hyphen."""
    lowered = value.lower()
    if len(lowered) > 63 or not _CLUSTER_ID.match(lowered):
        raise invalid_value(f"Invalid cluster identifier '{value}': it must contain from 1 to 63 alphanumeric "
                            "characters or hyphens, start with a letter, and cannot end with a hyphen or "
                            "contain two consecutive hyphens.")
    return lowered


def snapshot_id(value: str, parameter: str) -> str:
    if len(value) > 255 or not _SNAPSHOT_ID.match(value):
        raise invalid_value(f"Invalid {parameter} '{value}': it must contain from 1 to 255 alphanumeric "
                            "characters or hyphens, start with a letter, and cannot end with a hyphen or "
                            "contain two consecutive hyphens.")
    return value


def family(node_type: str) -> str:
    """``ra3``, ``rg`` or ``dc2``."""
    return node_type.split(".", 1)[0]


def node_type(value: str) -> str:
    if value in NODE_TYPES:
        return value
    if value.startswith(RETIRED_FAMILIES):
        # [O] what Redshift answers for a node type no longer offered
        raise ServiceError("NumberOfNodesQuotaExceeded",
                           f"You do not have access to node type {value}. Choose another node type")
    raise invalid_value(f"Invalid node type: {value}. Valid node types are {', '.join(NODE_TYPES)}.")


def node_count(params: Dict[str, Any]) -> int:
    """The number of nodes from ClusterType and NumberOfNodes."""
    cluster_type, nodes = params.get("ClusterType"), params.get("NumberOfNodes")
    if cluster_type not in (None, "single-node", "multi-node"):
        # [O]
        raise invalid_value("Invalid cluster type. Cluster type can be one of multi-node or single-node")
    if cluster_type == "single-node":
        if nodes is not None:
            # [O] sic: "must be not be"
            raise invalid_value("Number of nodes must be not be supplied for cluster type single-node.")
        return 1
    if nodes is None:
        if cluster_type == "multi-node":
            raise invalid_combination("Number of nodes for cluster type multi-node must be greater than or "
                                      "equal to 2")  # [O]
        return 1  # "If you don't specify this parameter, you get a single-node cluster."
    if not 1 <= nodes <= MAX_NODES:
        raise invalid_value(f"Invalid NumberOfNodes {nodes}: a cluster has from 1 to {MAX_NODES} nodes.")
    if cluster_type == "multi-node" and nodes < 2:
        raise invalid_combination("Number of nodes for cluster type multi-node must be greater than or "
                                  "equal to 2")  # [O]
    return nodes


def nodes_for_restore(value: Optional[int], default: int) -> int:
    if value is None:
        return default
    if not 1 <= value <= MAX_NODES:
        raise invalid_value(f"Invalid NumberOfNodes {value}: a cluster has from 1 to {MAX_NODES} nodes.")
    return value


def master_username(value: str) -> str:
    problem = None
    if not 1 <= len(value) <= 128:
        problem = "it must be 1 to 128 characters"
    elif ":" in value or "/" in value:
        problem = "it must not contain a colon (:) or a slash (/)"
    elif not _USERNAME.match(value):
        problem = ("it must start with a letter and contain only lowercase letters, numbers, underscore, "
                   "plus sign, period (dot), at symbol (@), or hyphen")
    elif value.upper() in RESERVED_WORDS or value.upper() == "PUBLIC":
        problem = "it is a reserved word"
    if problem:
        raise invalid_value(f"Invalid master user name '{value}': {problem}.")
    return value


def master_password(params: Dict[str, Any]) -> Optional[str]:
    """The password, checked; None when Redshift manages it (ManageMasterPassword)."""
    password, managed = params.get("MasterUserPassword"), params.get("ManageMasterPassword", False)
    if managed:
        if password is not None:
            raise invalid_combination("You can't use MasterUserPassword if ManageMasterPassword is true.")
        return None
    if params.get("MasterPasswordSecretKmsKeyId") is not None:
        raise invalid_combination("You can only use MasterPasswordSecretKmsKeyId if ManageMasterPassword is true.")
    if password is None:
        raise invalid_value("MasterUserPassword is required unless ManageMasterPassword is true.")
    problem = None
    if not 8 <= len(password) <= 64:
        problem = "it must be 8 to 64 characters long"
    elif not _PASSWORD_CHARS.match(password):
        problem = ("it can use any printable ASCII character except ' (single quote), \" (double quote), "
                   "\\, / and @")
    elif not (re.search("[A-Z]", password) and re.search("[a-z]", password) and re.search("[0-9]", password)):
        problem = "it must contain at least one uppercase letter, one lowercase letter and one number"
    if problem:  # the password itself is never echoed
        raise invalid_value(f"Invalid MasterUserPassword: {problem}.")
    return password


def db_name(value: str) -> str:
    if not 1 <= len(value) <= 64 or not _DBNAME.match(value):
        raise invalid_value(f"Invalid DBName '{value}': it must contain 1 to 64 alphanumeric characters, "
                            "only lowercase letters, and start with a letter.")
    if value.upper() in RESERVED_WORDS:
        raise invalid_value(f"Invalid DBName '{value}': it is a reserved word.")
    return value


def port(value: int, node: str) -> int:
    if family(node) in ("ra3", "rg"):
        if not (5431 <= value <= 5455 or 8191 <= value <= 8215):
            raise invalid_value(f"Invalid port {value}: for clusters with RG or RA3 nodes, select a port within "
                                "the ranges 5431-5455 or 8191-8215.")
    elif not 1150 <= value <= 65535:
        raise invalid_value(f"Invalid port {value}: for clusters with DC2 nodes, select a port within the range "
                            "1150-65535.")
    return value


def automated_retention(value: int, node: str) -> int:
    if not 0 <= value <= MAX_AUTOMATED_RETENTION:
        raise invalid_value(f"Invalid AutomatedSnapshotRetentionPeriod {value}: it must be a value from 0 to "
                            f"{MAX_AUTOMATED_RETENTION}.")
    if value == 0 and family(node) in ("ra3", "rg"):
        raise invalid_value("You can't disable automated snapshots for RG or RA3 node types: set the "
                            f"automated retention period from 1 to {MAX_AUTOMATED_RETENTION} days.")
    return value


def manual_retention(value: int) -> int:
    if not retention_ok(value):
        raise invalid_retention(value)
    return value


def availability_zone(value: str, region: str) -> str:
    if not re.fullmatch(re.escape(region) + "[a-z]", value):
        raise invalid_value(f"Invalid AvailabilityZone {value}: the Availability Zone must be in the same "
                            f"region as the endpoint ({region}).")
    return value


def no_snapshot_schedule(params: Dict[str, Any]) -> None:
    """Snapshot schedules are not modelled, so no schedule exists."""
    schedule = params.get("SnapshotScheduleIdentifier")
    if schedule is not None:
        raise ServiceError("SnapshotScheduleNotFound", f"Snapshot schedule {schedule} not found.")
