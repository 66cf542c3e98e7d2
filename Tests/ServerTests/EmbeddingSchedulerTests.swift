import Foundation
import Runtime
import Testing
@testable import Server

/// The queue's rules, without HTTP: bounded, packs packable jobs within the token budget (oldest
/// first), runs an image job alone, drops a cancelled job, refuses work when stopping.
@Suite(.serialized) struct EmbeddingSchedulerTests {
    static let engine = try? EmbeddingEngine.open(ModelSpec(path: ServerFixtures.phi3V))

    func prepared(_ text: String, image: Bool = false) throws -> PreparedRequest {
        let engine = try #require(Self.engine)
        return try engine.prepare(image ? .prompt(id: text, "<|image_1|> " + text, images: [.file(ServerFixtures.coffee)]) : .prompt(id: text, text))
    }

    /// Queues jobs on a scheduler whose thread is not running, and returns the tasks.
    func enqueue(_ scheduler: EmbeddingScheduler, _ jobs: [[PreparedRequest]]) async throws -> [Task<EmbeddingScheduler.Results, any Error>] {
        var tasks: [Task<EmbeddingScheduler.Results, any Error>] = []
        for (i, job) in jobs.enumerated() {
            tasks.append(Task { try await scheduler.submit(job) })
            while scheduler.queueDepth < i + 1 { try await Task.sleep(for: .milliseconds(2)) }
        }
        return tasks
    }

    @Test func packsOldestFirstWithinTheBudgetAndRunsImagesAlone() async throws {
        let engine = try #require(Self.engine)
        let a = try prepared("first query"), b = try prepared("second query is a bit longer")
        let image = try prepared("an image", image: true), c = try prepared("third")
        let budget = a.promptTokens + b.promptTokens + c.promptTokens - 1   // a + b + c does not fit
        let scheduler = EmbeddingScheduler(engine: engine, maxQueue: 8, maxBatchTokens: budget)
        let tasks = try await enqueue(scheduler, [[a], [image], [b], [c]])
        let first = try #require(scheduler.takeBatch()).map(\.requests.first?.id)
        #expect(first == [a.id, b.id])                   // image skipped; c over the budget
        let second = try #require(scheduler.takeBatch()).map(\.requests.first?.id)
        #expect(second == [image.id])                    // an image job runs alone
        let third = try #require(scheduler.takeBatch()).map(\.requests.first?.id)
        #expect(third == [c.id])
        #expect(scheduler.takeBatch() == nil)
        for t in tasks { t.cancel() }
    }

    @Test func boundedQueueCancelAndShutdown() async throws {
        let engine = try #require(Self.engine)
        let scheduler = EmbeddingScheduler(engine: engine, maxQueue: 2, maxBatchTokens: 512)
        let r = try prepared("hello")
        let tasks = try await enqueue(scheduler, [[r], [r]])
        await #expect(throws: EmbeddingScheduler.Refusal.queueFull) { try await scheduler.submit([r]) }
        tasks[0].cancel()
        await #expect(throws: EmbeddingScheduler.Refusal.cancelled) { try await tasks[0].value }
        #expect(scheduler.queueDepth == 1)
        scheduler.start()
        let results = try await tasks[1].value
        #expect(try results[0].get().vector == engine.embed(r).vector)
        scheduler.shutdown()
        await #expect(throws: EmbeddingScheduler.Refusal.shuttingDown) { try await scheduler.submit([r]) }
    }
}
