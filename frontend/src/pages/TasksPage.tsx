import { Route, Routes } from 'react-router';
import { TaskDetail } from '../tasks/TaskDetail';
import { TaskList } from '../tasks/TaskList';
import { CreateTaskWizard } from '../tasks/wizard/CreateTaskWizard';

/** The Tasks section: the list, the create-task wizard and each task's page. */
export function TasksPage() {
  return (
    <Routes>
      <Route index element={<TaskList />} />
      <Route path="new" element={<CreateTaskWizard />} />
      <Route path=":id" element={<TaskDetail />} />
    </Routes>
  );
}
