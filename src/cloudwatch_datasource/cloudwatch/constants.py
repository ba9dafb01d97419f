"""Hard-coded CloudWatch facts the resource routes answer without calling AWS: regions, namespaces, and the
metric names and dimension keys of common AWS namespaces.

Grafana keeps a much longer list (grafana-aws-sdk pkg/cloudWatchConsts/metrics.go); this is a subset written
for this plugin. A namespace that is not listed here is treated as custom and answered from ListMetrics, so a
missing entry costs an AWS call, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Mapping

# Merged with ec2:DescribeRegions by the /regions route (grafana/grafana pkg/tsdb/cloudwatch/constants/metrics.go).
REGIONS: tuple[str, ...] = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ca-central-1",
    "cn-north-1", "cn-northwest-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "sa-east-1",
    "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1",
    "us-west-1", "us-west-2",
)

NAMESPACE_METRICS: Mapping[str, tuple[str, ...]] = {
    "AWS/EC2": (
        "CPUCreditBalance", "CPUCreditUsage", "CPUSurplusCreditBalance", "CPUSurplusCreditsCharged",
        "CPUUtilization", "DiskReadBytes", "DiskReadOps", "DiskWriteBytes", "DiskWriteOps", "EBSByteBalance%",
        "EBSIOBalance%", "EBSReadBytes", "EBSReadOps", "EBSWriteBytes", "EBSWriteOps", "MetadataNoToken",
        "NetworkIn", "NetworkOut", "NetworkPacketsIn", "NetworkPacketsOut", "StatusCheckFailed",
        "StatusCheckFailed_Instance", "StatusCheckFailed_System",
    ),
    "AWS/EBS": (
        "BurstBalance", "VolumeConsumedReadWriteOps", "VolumeIdleTime", "VolumeQueueLength",
        "VolumeReadBytes", "VolumeReadOps", "VolumeThroughputPercentage", "VolumeTotalReadTime",
        "VolumeTotalWriteTime", "VolumeWriteBytes", "VolumeWriteOps",
    ),
    "AWS/ELB": (
        "BackendConnectionErrors", "EstimatedALBActiveConnectionCount", "HTTPCode_Backend_2XX",
        "HTTPCode_Backend_3XX", "HTTPCode_Backend_4XX", "HTTPCode_Backend_5XX", "HTTPCode_ELB_4XX",
        "HTTPCode_ELB_5XX", "HealthyHostCount", "Latency", "RequestCount", "SpilloverCount",
        "SurgeQueueLength", "UnHealthyHostCount",
    ),
    "AWS/ApplicationELB": (
        "ActiveConnectionCount", "ClientTLSNegotiationErrorCount", "ConsumedLCUs", "HTTPCode_ELB_4XX_Count",
        "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_2XX_Count", "HTTPCode_Target_3XX_Count",
        "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count", "HealthyHostCount", "NewConnectionCount",
        "ProcessedBytes", "RejectedConnectionCount", "RequestCount", "RequestCountPerTarget",
        "TargetConnectionErrorCount", "TargetResponseTime", "UnHealthyHostCount",
    ),
    "AWS/RDS": (
        "BinLogDiskUsage", "BurstBalance", "CPUCreditBalance", "CPUCreditUsage", "CPUUtilization",
        "DatabaseConnections", "DiskQueueDepth", "FreeStorageSpace", "FreeableMemory",
        "NetworkReceiveThroughput", "NetworkTransmitThroughput", "ReadIOPS", "ReadLatency", "ReadThroughput",
        "ReplicaLag", "SwapUsage", "WriteIOPS", "WriteLatency", "WriteThroughput",
    ),
    "AWS/Lambda": (
        "ConcurrentExecutions", "DeadLetterErrors", "Duration", "Errors", "Invocations", "IteratorAge",
        "ProvisionedConcurrencyUtilization", "Throttles", "UnreservedConcurrentExecutions",
    ),
    "AWS/S3": (
        "4xxErrors", "5xxErrors", "AllRequests", "BucketSizeBytes", "BytesDownloaded", "BytesUploaded",
        "FirstByteLatency", "GetRequests", "NumberOfObjects", "PutRequests", "TotalRequestLatency",
    ),
    "AWS/DynamoDB": (
        "ConditionalCheckFailedRequests", "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits",
        "ProvisionedReadCapacityUnits", "ProvisionedWriteCapacityUnits", "ReadThrottleEvents",
        "ReturnedItemCount", "SuccessfulRequestLatency", "SystemErrors", "ThrottledRequests", "UserErrors",
        "WriteThrottleEvents",
    ),
    "AWS/SQS": (
        "ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesVisible",
        "NumberOfEmptyReceives", "NumberOfMessagesDeleted", "NumberOfMessagesReceived",
        "NumberOfMessagesSent", "SentMessageSize",
    ),
    "AWS/SNS": (
        "NumberOfMessagesPublished", "NumberOfNotificationsDelivered", "NumberOfNotificationsFailed",
        "NumberOfNotificationsFilteredOut", "PublishSize", "SMSMonthToDateSpentUSD", "SMSSuccessRate",
    ),
    "AWS/Billing": ("EstimatedCharges",),
    "AWS/Usage": ("CallCount", "ResourceCount"),
    "AWS/ECS": ("CPUReservation", "CPUUtilization", "GPUReservation", "MemoryReservation", "MemoryUtilization"),
    "AWS/EKS/ContainerInsights": (
        "cluster_failed_node_count", "cluster_node_count", "namespace_number_of_running_pods",
        "node_cpu_limit", "node_cpu_utilization", "node_filesystem_utilization", "node_memory_utilization",
        "node_network_total_bytes", "node_number_of_running_pods", "pod_cpu_utilization",
        "pod_memory_utilization", "pod_network_rx_bytes", "pod_network_tx_bytes",
        "service_number_of_running_pods",
    ),
}

NAMESPACE_DIMENSION_KEYS: Mapping[str, tuple[str, ...]] = {
    "AWS/EC2": ("AutoScalingGroupName", "ImageId", "InstanceId", "InstanceType"),
    "AWS/EBS": ("VolumeId",),
    "AWS/ELB": ("AvailabilityZone", "LoadBalancerName"),
    "AWS/ApplicationELB": ("AvailabilityZone", "LoadBalancer", "TargetGroup"),
    "AWS/RDS": ("DBClusterIdentifier", "DBInstanceIdentifier", "DatabaseClass", "EngineName", "Role"),
    "AWS/Lambda": ("ExecutedVersion", "FunctionName", "Resource"),
    "AWS/S3": ("BucketName", "FilterId", "StorageType"),
    "AWS/DynamoDB": ("GlobalSecondaryIndexName", "Operation", "ReceivingRegion", "StreamLabel", "TableName"),
    "AWS/SQS": ("QueueName",),
    "AWS/SNS": ("Application", "Country", "Platform", "SMSType", "TopicName"),
    "AWS/Billing": ("Currency", "LinkedAccount", "ServiceName"),
    "AWS/Usage": ("Class", "Resource", "Service", "Type"),
    "AWS/ECS": ("ClusterName", "ServiceName"),
    "AWS/EKS/ContainerInsights": ("ClusterName", "Namespace", "NodeName", "PodName", "Service"),
}
