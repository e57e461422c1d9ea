variable "firewall" {
  description = "Baseline firewall: the node network tag and the ports Google's load balancer health checks (and proxies) reach on the nodes."
  type = object({
    lb_ports = optional(list(number), [8080])
    node_tag = optional(string, "kv-gke-node")
  })
  default  = {}
  nullable = false

  validation {
    condition     = length(var.firewall.lb_ports) > 0 && alltrue([for p in var.firewall.lb_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "firewall.lb_ports must be a non-empty list of TCP ports between 1 and 65535."
  }

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.firewall.node_tag))
    error_message = "firewall.node_tag must be a valid network tag: lowercase letters, digits and hyphens, 1-63 characters, starting with a letter."
  }
}

variable "flow_logs" {
  description = "VPC flow logs on every subnet (sampling 0-1; aggregation interval one of INTERVAL_5_SEC, INTERVAL_30_SEC, INTERVAL_1_MIN, INTERVAL_5_MIN, INTERVAL_10_MIN, INTERVAL_15_MIN)."
  type = object({
    aggregation_interval = optional(string, "INTERVAL_5_SEC")
    sampling             = optional(number, 0.5)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["INTERVAL_5_SEC", "INTERVAL_30_SEC", "INTERVAL_1_MIN", "INTERVAL_5_MIN", "INTERVAL_10_MIN", "INTERVAL_15_MIN"], var.flow_logs.aggregation_interval)
    error_message = "flow_logs.aggregation_interval must be one of INTERVAL_5_SEC, INTERVAL_30_SEC, INTERVAL_1_MIN, INTERVAL_5_MIN, INTERVAL_10_MIN, INTERVAL_15_MIN."
  }

  validation {
    condition     = var.flow_logs.sampling > 0 && var.flow_logs.sampling <= 1
    error_message = "flow_logs.sampling must be greater than 0 and at most 1 (flow logs cannot be switched off)."
  }
}

variable "name" {
  description = "Prefix for every resource this module creates (VPC, subnets, router, NAT, firewall rules)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{0,40}[a-z0-9]$", var.name))
    error_message = "name must be 2-42 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "nat" {
  description = "Cloud NAT for private nodes' egress. log_filter is one of ERRORS_ONLY, TRANSLATIONS_ONLY, ALL."
  type = object({
    log_filter       = optional(string, "ERRORS_ONLY")
    min_ports_per_vm = optional(number, 256)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["ERRORS_ONLY", "TRANSLATIONS_ONLY", "ALL"], var.nat.log_filter)
    error_message = "nat.log_filter must be one of ERRORS_ONLY, TRANSLATIONS_ONLY, ALL."
  }

  validation {
    condition     = contains([for exponent in range(6, 17) : pow(2, exponent)], var.nat.min_ports_per_vm)
    error_message = "nat.min_ports_per_vm must be a power of two between 64 and 65536."
  }
}

variable "project_id" {
  description = "Project that owns the network."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid Google Cloud project id (6-30 lowercase letters, digits, hyphens)."
  }
}

variable "region" {
  description = "Region of the subnets, router and NAT."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1."
  }
}

variable "subnets" {
  description = "Primary range for nodes, secondary ranges for pods and services, and the subnet where Private Service Connect endpoints (Memorystore) get their addresses. Size pods for max nodes x per-node block (the gke module checks it)."
  type = object({
    nodes_cidr    = optional(string, "10.10.0.0/22")
    pods_cidr     = optional(string, "10.16.0.0/16")
    psc_cidr      = optional(string, "10.10.8.0/26")
    services_cidr = optional(string, "10.20.0.0/20")
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for cidr in values(var.subnets) : try(cidrhost(cidr, 0) == split("/", cidr)[0], false)
    ])
    error_message = "Every subnets.* value must be an IPv4 CIDR whose address is the network address (e.g. 10.10.0.0/22, not 10.10.0.1/22)."
  }

  validation {
    condition     = length(distinct(values(var.subnets))) == length(values(var.subnets))
    error_message = "subnets.nodes_cidr, pods_cidr, psc_cidr and services_cidr must all be different ranges."
  }

  validation {
    condition = try(
      tonumber(split("/", var.subnets.nodes_cidr)[1]) <= 24 &&
      tonumber(split("/", var.subnets.pods_cidr)[1]) <= 21 &&
      tonumber(split("/", var.subnets.services_cidr)[1]) <= 24 &&
      tonumber(split("/", var.subnets.psc_cidr)[1]) <= 28,
      false
    )
    error_message = "Ranges too small: nodes_cidr needs /24 or larger, pods_cidr /21 or larger, services_cidr /24 or larger, psc_cidr /28 or larger."
  }
}
