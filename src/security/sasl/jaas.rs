//! TODO(skeleton): filled by its helper.
