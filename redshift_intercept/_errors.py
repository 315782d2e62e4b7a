"""Exceptions: the public ``UnhandledOperationError`` and the internal
``ServiceError`` that a rule raises to answer with a modelled Redshift error."""

from __future__ import annotations


class UnhandledOperationError(Exception):
    """A Redshift operation that redshift-intercept does not answer was called
    while an interceptor with ``passthrough=False`` (the default) was active.

    Nothing was sent to AWS. ``operation_name`` is the API name
    (``"DescribeClusters"``).
    """

    def __init__(self, operation_name: str, answered: tuple[str, ...] = (), detail: str | None = None) -> None:
        from botocore import xform_name  # here: the command checks identities files without botocore

        self.operation_name = operation_name
        method = xform_name(operation_name)
        listed = ", ".join(answered) or "none"
        if detail:
            refused = (f"this {operation_name} call (client.{method}()): {detail} The call was refused and "
                       "nothing was sent to AWS.")
        else:
            refused = (f"Redshift {operation_name} (client.{method}()); the call was refused and nothing was "
                       "sent to AWS.")
        super().__init__(
            f"redshift-intercept does not answer {refused} "
            f"Answered operations: {listed}. To let unanswered Redshift calls "
            f"through to AWS, use intercept(passthrough=True) or "
            f"@pytest.mark.redshift_intercept(passthrough=True)."
        )


class ServiceError(Exception):
    """Raised by a rule: answer the call with this Redshift error.

    ``code`` is the wire code (``ClusterSnapshotNotFound``, no ``Fault``
    suffix). ``status`` and ``sender`` default to what the service model says
    for that code (400 / Sender for codes the model does not know).
    """

    def __init__(self, code: str, message: str, status: int | None = None,
                 sender: bool | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


class NotAnswered(Exception):
    """Raised by the service core for an operation it has no rule for (and
    no injected fault), or by a rule for a call it models only in part
    (``detail`` says why): the front door decides (refuse, or let it through)."""

    def __init__(self, operation_name: str, detail: str | None = None) -> None:
        super().__init__(operation_name if detail is None else f"{operation_name}: {detail}")
        self.detail = detail


# The errors several rules answer with, each worded once. Messages whose real
# text is not public are ours; the README documents them.


def snapshot_not_found(snapshot_id: str) -> ServiceError:
    return ServiceError("ClusterSnapshotNotFound", f"Snapshot {snapshot_id} not found.")


def cluster_not_found(cluster_id: str) -> ServiceError:
    return ServiceError("ClusterNotFound", f"Cluster {cluster_id} not found.")


def resource_not_found(arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundFault", f"The resource with ARN {arn} was not found.")


def invalid_value(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, status=400, sender=True)


def invalid_combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message, status=400, sender=True)


def invalid_state(message: str) -> ServiceError:
    return ServiceError("InvalidClusterSnapshotState", message)


def invalid_retention(value: int) -> ServiceError:
    return ServiceError("InvalidRetentionPeriodFault",
                        f"Invalid manual snapshot retention period {value}: it must be -1 "
                        "(retain indefinitely) or between 1 and 3653 days.")


def invalid_client_token() -> ServiceError:
    """AWS's answer to an access key it does not know (real text, as STS and the query services send it)."""
    return ServiceError("InvalidClientTokenId", "The security token included in the request is invalid.", 403, True)
