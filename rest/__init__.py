"""MLflow's REST API 2.0 for the model registry, over the same resolvers, permissions and
activity log as the graph: what `mlflow.MlflowClient` sends, answered in MLflow's shapes."""
