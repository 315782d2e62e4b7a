// The AWS SDK for JavaScript v3 against redshift-intercept's HTTP endpoint
// (tests/test_real_clients.py): list with the paginator, delete, meet the
// shared-snapshot refusal as its modelled exception class, batch delete.
// Prints what it saw as one line of JSON for the test to check.
import {
  BatchDeleteClusterSnapshotsCommand,
  ClusterSnapshotNotFoundFault,
  DeleteClusterSnapshotCommand,
  InvalidClusterSnapshotStateFault,
  RedshiftClient,
  paginateDescribeClusterSnapshots,
} from "@aws-sdk/client-redshift";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const client = new RedshiftClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
});
const seen = {};

async function refusal(command) {
  try {
    await client.send(command);
    return null;
  } catch (error) {
    return {
      name: error.name,
      invalidState: error instanceof InvalidClusterSnapshotStateFault,
      notFound: error instanceof ClusterSnapshotNotFoundFault,
      fault: error.$fault,
      status: error.$metadata.httpStatusCode,
      requestId: error.$metadata.requestId,
      message: error.message,
    };
  }
}

seen.pages = [];
for await (const page of paginateDescribeClusterSnapshots({ client, pageSize: 20 }, {})) {
  seen.pages.push(page.Snapshots.map((snapshot) => snapshot.SnapshotIdentifier));
}

const deleted = await client.send(new DeleteClusterSnapshotCommand({ SnapshotIdentifier: "old-000" }));
seen.deleted = {
  id: deleted.Snapshot.SnapshotIdentifier,
  status: deleted.Snapshot.Status,
  created: deleted.Snapshot.SnapshotCreateTime instanceof Date ? deleted.Snapshot.SnapshotCreateTime.toISOString() : null,
  nodes: deleted.Snapshot.NumberOfNodes,
  tags: deleted.Snapshot.Tags,
  requestId: deleted.$metadata.requestId,
};
seen.shared = await refusal(new DeleteClusterSnapshotCommand({ SnapshotIdentifier: "shared" }));
seen.again = await refusal(new DeleteClusterSnapshotCommand({ SnapshotIdentifier: "old-000" }));

const batch = await client.send(new BatchDeleteClusterSnapshotsCommand({
  Identifiers: [
    { SnapshotIdentifier: "old-001" },
    { SnapshotIdentifier: "old-002", SnapshotClusterIdentifier: "prod" },
    { SnapshotIdentifier: "shared" },
    { SnapshotIdentifier: "ghost" },
  ],
}));
seen.batch = {
  resources: batch.Resources,
  errors: batch.Errors.map((error) => [error.SnapshotIdentifier, error.FailureCode]),
};

console.log(JSON.stringify(seen));
