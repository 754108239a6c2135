/** Implementation details of fence-core: not exported. */
package dev.fence.core.internal;
