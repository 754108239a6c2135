/**
 * One-way completion signals modelled on the Linux kernel's {@code dma_fence}.
 *
 * <p>A {@link dev.fence.core.Fence} goes from pending to signalled exactly once, optionally with
 * an error, and records when. Code that needs to know when a job finishes either waits
 * ({@link dev.fence.core.Fence#await()}) or registers a reusable, caller-owned
 * {@link dev.fence.core.FenceCallback}. Fences are ordered within a context by their sequence
 * number ({@link dev.fence.core.Timeline}), grouped ({@link dev.fence.core.FenceArray}), linked
 * into timelines of points ({@link dev.fence.core.FenceChain}), and flattened or merged
 * ({@link dev.fence.core.Fences}).
 *
 * <h2>Memory consistency</h2>
 * Actions in a thread before it signals a fence <i>happen-before</i> every callback run for that
 * fence, the return of every wait that observes it signalled, every {@code isSignaled()} that
 * returns {@code true}, and every {@code addCallback} that returns {@code false} because the fence
 * was signalled. See {@code docs/memory-model.md}.
 */
package dev.fence.core;
